// Layer normalisation of rows x [R, D] over their D values, forward and backward side by side:
//
//     y = scale (x - mean) / sigma + offset,  sigma = sqrt(var + epsilon)  (biased variance)
//
// Rows are independent: the cores split them, and each kernel serves one range of rows.
// statistics [R, 2] holds (mean, 1/sigma) per row, written by the forward pass for the
// backward one. The parameters' gradients are sums over rows: partial per range, added up by
// the caller in range order.

/// y [R, D] of x [R, D] for the rows in `rows`; scale, offset [D]; statistics [R, 2] written.
func layerNormForward(output y: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>,
                      scale: UnsafePointer<Float>, offset: UnsafePointer<Float>,
                      statistics: UnsafeMutablePointer<Float>, width: Int, epsilon: Float, rows: Range<Int>) {
    for row in rows {
        let source = x + row * width, destination = y + row * width
        var total: Float = 0
        for j in 0..<width { total += source[j] }
        let mean = total / Float(width)
        var squares: Float = 0
        for j in 0..<width { let d = source[j] - mean; squares += d * d }
        let inverse = 1 / (squares / Float(width) + epsilon).squareRoot()
        statistics[2 * row] = mean
        statistics[2 * row + 1] = inverse
        for j in 0..<width { destination[j] = (source[j] - mean) * inverse * scale[j] + offset[j] }
    }
}

/// dx [R, D] for the rows in `rows`, with xhat = (x - mean) / sigma and dxhat = g scale:
/// dx = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / sigma, written by `destination`'s rule.
func layerNormInputGradient(_ destination: GradientDestination, outputGradient g: UnsafePointer<Float>,
                            input x: UnsafePointer<Float>, scale: UnsafePointer<Float>,
                            statistics: UnsafePointer<Float>, width: Int, rows: Range<Int>) {
    for row in rows {
        let base = row * width
        let mean = statistics[2 * row], inverse = statistics[2 * row + 1]
        var sumG: Float = 0, sumGXhat: Float = 0
        for j in 0..<width {
            let dxhat = g[base + j] * scale[j]
            sumG += dxhat
            sumGXhat += dxhat * (x[base + j] - mean) * inverse
        }
        let meanG = sumG / Float(width), meanGXhat = sumGXhat / Float(width)
        for j in 0..<width {
            let xhat = (x[base + j] - mean) * inverse
            destination.write(base + j, (g[base + j] * scale[j] - meanG - xhat * meanGXhat) * inverse)
        }
    }
}

/// Adds, over the rows in `rows`, sum g xhat to sums[0..<D] and sum g to sums[D..<2D].
func layerNormParameterSums(outputGradient g: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                            statistics: UnsafePointer<Float>, width: Int, rows: Range<Int>,
                            sums: UnsafeMutablePointer<Float>) {
    for row in rows {
        let base = row * width
        let mean = statistics[2 * row], inverse = statistics[2 * row + 1]
        for j in 0..<width {
            sums[j] += g[base + j] * (x[base + j] - mean) * inverse
            sums[width + j] += g[base + j]
        }
    }
}
