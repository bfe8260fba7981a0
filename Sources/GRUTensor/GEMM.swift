/// The portable matrix kernel behind ``TensorScalar/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
///
/// Row-major throughout. The inner loops run along contiguous rows of `B` and
/// `C` so that the compiler vectorises them; the transposed-B case is a dot
/// product per output element.
@usableFromInline
func referenceGEMM<S: TensorScalar>(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: S,
    a: UnsafePointer<S>, lda: Int, b: UnsafePointer<S>, ldb: Int,
    beta: S, c: UnsafeMutablePointer<S>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    for i in 0..<m {
        let row = c + i * ldc
        if beta == 0 {
            row.update(repeating: 0, count: n)
        } else if beta != 1 {
            for j in 0..<n { row[j] *= beta }
        }
    }
    guard k > 0, alpha != 0 else { return }
    if transposeB {
        for i in 0..<m {
            let row = c + i * ldc
            for j in 0..<n {
                let bRow = b + j * ldb
                var sum: S = 0
                if transposeA {
                    for p in 0..<k { sum += a[p * lda + i] * bRow[p] }
                } else {
                    let aRow = a + i * lda
                    for p in 0..<k { sum += aRow[p] * bRow[p] }
                }
                row[j] += alpha * sum
            }
        }
    } else {
        for i in 0..<m {
            let row = c + i * ldc
            for p in 0..<k {
                let scale = alpha * (transposeA ? a[p * lda + i] : a[i * lda + p])
                if scale == 0 { continue }
                let bRow = b + p * ldb
                for j in 0..<n { row[j] += scale * bRow[j] }
            }
        }
    }
}
