import Foundation
import KerasFiles
import Testing

/// Files are written whole or not at all, and what killed writers left beside them goes.
@Suite("Atomic file writes")
struct AtomicFileTests {
    @Test func writesWholeAndRemovesAbandonedTemporaries() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.keras").path
        // A process that has ended: its temporary file is abandoned.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let abandoned = directory.appendingPathComponent(".model.keras.gru-\(finished.processIdentifier).tmp").path
        try Data("half".utf8).write(to: URL(fileURLWithPath: abandoned))
        try AtomicFile.write(Array("whole".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "whole")
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.keras"])
    }

    @Test func aWriteThatFailsNamesThePathAndLeavesNothing() throws {
        do {
            try AtomicFile.write([1, 2, 3], to: "/nonexistent-directory/out.keras")
            Issue.record("a write into a missing directory succeeded")
        } catch let error as FileFormatError {
            #expect(error.message.contains("/nonexistent-directory/out.keras"))
        }
    }
}
