import Testing
import DiscreteGradients

/// op(A) op(B) by the textbook triple loop, the reference for CBLAS.
private func naiveProduct(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool) -> Matrix {
    let opA = ta ? a.transposed : a, opB = tb ? b.transposed : b
    var c = Matrix(rows: opA.rows, cols: opB.cols)
    for i in 0..<opA.rows {
        for j in 0..<opB.cols {
            var s = 0.0
            for k in 0..<opA.cols { s += opA[i, k] * opB[k, j] }
            c[i, j] = s
        }
    }
    return c
}

private func randomMatrix(_ rows: Int, _ cols: Int, _ s: inout RandomStream) -> Matrix {
    Matrix(rows: rows, cols: cols, data: (0..<(rows * cols)).map { _ in s.normal() })
}

private func maxDifference(_ a: Matrix, _ b: Matrix) -> Double {
    zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
}

@Suite("Matrix through CBLAS")
struct MatrixTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesTheTripleLoop(transposeA: Bool, transposeB: Bool) {
        var s = RandomStream(seed: 77)
        for (m, k, n) in [(3, 5, 4), (1, 7, 2), (6, 1, 3), (17, 9, 11), (2, 2, 2)] {
            let a = transposeA ? randomMatrix(k, m, &s) : randomMatrix(m, k, &s)
            let b = transposeB ? randomMatrix(n, k, &s) : randomMatrix(k, n, &s)
            let expected = naiveProduct(a, transposeA, b, transposeB)
            let product = Matrix.product(a, transposeA: transposeA, b, transposeB: transposeB)
            #expect(product.rows == m && product.cols == n)
            #expect(maxDifference(product, expected) < 1e-12)
            // C = alpha op(A) op(B) + beta C with a non-zero C.
            let c0 = randomMatrix(m, n, &s)
            var c = c0
            Matrix.gemm(a, transposeA: transposeA, b, transposeB: transposeB, alpha: 0.5, beta: -2, into: &c)
            let reference = Matrix(rows: m, cols: n, data: zip(expected.data, c0.data).map { 0.5 * $0 - 2 * $1 })
            #expect(maxDifference(c, reference) < 1e-12)
        }
    }

    @Test func knownSmallProduct() {
        let a = Matrix([[1, 2, 3], [4, 5, 6]])
        let b = Matrix([[7, 8], [9, 10], [11, 12]])
        #expect((a * b).nested == [[58, 64], [139, 154]])
        #expect(a.times([1, 0, -1]) == [-2, -2])
        #expect(a.transposed.nested == [[1, 4], [2, 5], [3, 6]])
    }

    @Test func emptyInnerDimensionScalesC() {
        var c = Matrix([[1, 2], [3, 4]])
        Matrix.gemm(Matrix(rows: 2, cols: 0), Matrix(rows: 0, cols: 2), beta: 3, into: &c)
        #expect(c.nested == [[3, 6], [9, 12]])
    }

    @Test func timesMatchesTheLoop() {
        var s = RandomStream(seed: 78)
        let a = randomMatrix(13, 7, &s)
        let x = (0..<7).map { _ in s.normal() }
        let y = a.times(x)
        for i in 0..<13 {
            #expect(abs(y[i] - (0..<7).reduce(0) { $0 + a[i, $1] * x[$1] }) < 1e-12)
        }
    }

    @Test func rowBroadcastAndColumnSums() {
        var a = Matrix([[1, 2], [3, 4], [5, 6]])
        a.addRowVector([10, 20])
        #expect(a.nested == [[11, 22], [13, 24], [15, 26]])
        #expect(a.columnSums() == [39, 72])
        #expect(a.transposed.transposed == a)
    }
}
