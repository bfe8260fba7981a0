import Foundation
import KerasFiles

extension KerasModelFile {
    /// Reads a model for a command, telling the user on standard error what runs
    /// differently from what the file asks for.
    static func opening(_ path: String) throws -> KerasModelFile {
        let file = try KerasModelFile(contentsOf: path)
        for note in file.notes { FileHandle.standardError.write(Data("note: \(path): \(note)\n".utf8)) }
        return file
    }
}
