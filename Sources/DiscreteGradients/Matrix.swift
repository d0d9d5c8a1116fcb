import CGSL

/// A dense row-major matrix of Doubles; products go through CBLAS (bound to OpenBLAS).
public struct Matrix: Equatable, Sendable, Codable {
    public var rows: Int
    public var cols: Int
    public var data: [Double]

    public init(rows: Int, cols: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && cols >= 0)
        self.rows = rows; self.cols = cols
        self.data = Array(repeating: value, count: rows * cols)
    }
    public init(rows: Int, cols: Int, data: [Double]) {
        precondition(data.count == rows * cols, "Matrix: \(data.count) values for \(rows)x\(cols)")
        self.rows = rows; self.cols = cols; self.data = data
    }
    /// From nested rows: `Matrix([[1, 2], [3, 4]])`.
    public init(_ nested: [[Double]]) {
        let r = nested.count, c = nested.first?.count ?? 0
        precondition(nested.allSatisfy { $0.count == c }, "Matrix: ragged rows")
        self.init(rows: r, cols: c, data: nested.flatMap { $0 })
    }

    @inlinable public subscript(i: Int, j: Int) -> Double {
        get { data[i * cols + j] }
        set { data[i * cols + j] = newValue }
    }
    public func row(_ i: Int) -> ArraySlice<Double> { data[(i * cols)..<((i + 1) * cols)] }
    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t.data[j * rows + i] = data[i * cols + j] } }
        return t
    }
    public var nested: [[Double]] { (0..<rows).map { Array(row($0)) } }

    /// C = alpha * op(A) op(B) + beta * C, through cblas_dgemm.
    public static func gemm(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false,
                            alpha: Double = 1, beta: Double = 0, into c: inout Matrix) {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let n = transposeB ? b.rows : b.cols
        precondition((transposeB ? b.cols : b.rows) == k, "gemm: inner dimensions \(k) and \(transposeB ? b.cols : b.rows)")
        precondition(c.rows == m && c.cols == n, "gemm: output is \(c.rows)x\(c.cols), expected \(m)x\(n)")
        if m == 0 || n == 0 { return }
        if k == 0 { for i in c.data.indices { c.data[i] *= beta }; return }
        if let log = MatrixProductLog.current { log.products.append(.init(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)) }
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(CblasRowMajor,
                                transposeA ? CblasTrans : CblasNoTrans,
                                transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), alpha,
                                pa.baseAddress, Int32(a.cols), pb.baseAddress, Int32(b.cols),
                                beta, pc.baseAddress, Int32(n))
                }
            }
        }
    }
    /// op(A) op(B) as a new matrix.
    public static func product(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false) -> Matrix {
        var c = Matrix(rows: transposeA ? a.cols : a.rows, cols: transposeB ? b.rows : b.cols)
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }
    public static func * (a: Matrix, b: Matrix) -> Matrix { product(a, b) }

    /// y = A x through cblas_dgemv.
    public func times(_ x: [Double]) -> [Double] {
        precondition(x.count == cols, "times: vector of \(x.count) for \(rows)x\(cols)")
        var y = [Double](repeating: 0, count: rows)
        if rows == 0 || cols == 0 { return y }
        if let log = MatrixProductLog.current { log.products.append(.init(m: rows, n: 1, k: cols, transposeA: false, transposeB: false)) }
        data.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(cols), 1,
                                pa.baseAddress, Int32(cols), px.baseAddress, 1, 0, py.baseAddress, 1)
                }
            }
        }
        return y
    }
    /// Adds `v` to every row (a bias broadcast over a minibatch).
    public mutating func addRowVector(_ v: [Double]) {
        precondition(v.count == cols)
        for i in 0..<rows { for j in 0..<cols { data[i * cols + j] += v[j] } }
    }
    /// Column sums (sums over the minibatch).
    public func columnSums() -> [Double] {
        var s = [Double](repeating: 0, count: cols)
        for i in 0..<rows { for j in 0..<cols { s[j] += data[i * cols + j] } }
        return s
    }
    public func map(_ f: (Double) -> Double) -> Matrix { Matrix(rows: rows, cols: cols, data: data.map(f)) }
}

/// The shapes of the matrix products (`Matrix.gemm`, `Matrix.times`) a piece of code runs, recorded
/// inside `recording(_:)` (off elsewhere: one task-local read per product). A benchmark replays them
/// on the same shapes to time the BLAS floor of a training step; nothing here reads a clock.
public final class MatrixProductLog: @unchecked Sendable {
    /// One product C [m x n] = op(A) [m x k] op(B) [k x n] (a matrix-vector product has n = 1).
    public struct Product: Sendable, Hashable, Codable {
        public var m, n, k: Int
        public var transposeA, transposeB: Bool
        public init(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool) {
            self.m = m; self.n = n; self.k = k; self.transposeA = transposeA; self.transposeB = transposeB
        }
        /// Multiply-adds of the product.
        public var multiplyAdds: Int { m * n * k }
    }
    public fileprivate(set) var products: [Product] = []
    public init() {}

    @TaskLocal public static var current: MatrixProductLog?

    /// Runs `body` and returns its value with the shapes of the products it ran, in order.
    public static func recording<T>(_ body: () throws -> T) rethrows -> (value: T, products: [Product]) {
        let log = MatrixProductLog()
        let value = try $current.withValue(log) { try body() }
        return (value, log.products)
    }
}
