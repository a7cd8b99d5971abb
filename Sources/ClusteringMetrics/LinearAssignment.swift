import Basics

/// Solves the rectangular linear assignment problem: pairs every row of a `rows x columns`
/// cost matrix with a distinct column (or every column with a distinct row when there are
/// fewer columns) so that the total cost is minimal (Kuhn-Munkres with potentials, the
/// O(r^2 c) shortest-augmenting-path form; `scipy.optimize.linear_sum_assignment`).
///
/// - Parameter cost: row-major `rows x columns`.
/// - Returns: `min(rows, columns)` pairs `(row, column)`, ordered by row.
public func linearSumAssignment(cost: [Double], rows: Int, columns: Int) -> [(row: Int, column: Int)] {
    checkArgument(
        cost.count == rows * columns,
        "linearSumAssignment: cost has \(cost.count) entries, rows x columns is \(rows * columns)")
    if rows == 0 || columns == 0 { return [] }
    if rows > columns {
        // The algorithm needs rows <= columns; solve the transpose and swap back.
        var transposed = [Double](repeating: 0, count: cost.count)
        for row in 0..<rows {
            for column in 0..<columns { transposed[column * rows + row] = cost[row * columns + column] }
        }
        return linearSumAssignment(cost: transposed, rows: columns, columns: rows)
            .map { (row: $0.column, column: $0.row) }
            .sorted { $0.row < $1.row }
    }
    // 1-based arrays; column 0 is the virtual column that starts each augmenting path.
    let n = rows, m = columns
    var rowPotential = [Double](repeating: 0, count: n + 1)
    var columnPotential = [Double](repeating: 0, count: m + 1)
    var rowOfColumn = [Int](repeating: 0, count: m + 1)
    var previousColumn = [Int](repeating: 0, count: m + 1)
    var slack = [Double](repeating: 0, count: m + 1)
    var visited = [Bool](repeating: false, count: m + 1)
    for row in 1...n {
        rowOfColumn[0] = row
        var column0 = 0
        for j in 0...m { slack[j] = .infinity; visited[j] = false }
        repeat {
            visited[column0] = true
            let row0 = rowOfColumn[column0]
            var delta = Double.infinity
            var column1 = 0
            for j in 1...m where !visited[j] {
                let reduced = cost[(row0 - 1) * m + (j - 1)] - rowPotential[row0] - columnPotential[j]
                if reduced < slack[j] { slack[j] = reduced; previousColumn[j] = column0 }
                if slack[j] < delta { delta = slack[j]; column1 = j }
            }
            for j in 0...m {
                if visited[j] {
                    rowPotential[rowOfColumn[j]] += delta
                    columnPotential[j] -= delta
                } else {
                    slack[j] -= delta
                }
            }
            column0 = column1
        } while rowOfColumn[column0] != 0
        repeat {
            let column1 = previousColumn[column0]
            rowOfColumn[column0] = rowOfColumn[column1]
            column0 = column1
        } while column0 != 0
    }
    var pairs: [(row: Int, column: Int)] = []
    for j in 1...m where rowOfColumn[j] != 0 { pairs.append((row: rowOfColumn[j] - 1, column: j - 1)) }
    return pairs.sorted { $0.row < $1.row }
}
