import Clustering
import Testing

/// GridShift on a real embedding (UMAP-3D of the digits) against an independent Python
/// implementation of the same definition (`make_digits_fixture.py`).
@Suite struct DigitsTests {
    @Test func automaticBandwidthMatchesNumpyOnEveryPoint() throws {
        let n = DigitsFixture.classes.count
        let h = try AutomaticBandwidth(sampleSize: n).bandwidth(DigitsFixture.points, dimension: 3)
        #expect(abs(h - DigitsFixture.automaticBandwidth) <= 1e-6 * h, "\(h) vs numpy \(DigitsFixture.automaticBandwidth)")
    }

    @Test(arguments: DigitsFixture.gridShiftRuns.indices)
    func gridShiftMatchesThePythonDefinition(run: Int) throws {
        let reference = DigitsFixture.gridShiftRuns[run]
        let result = try gridShift(DigitsFixture.points, dimension: 3, bandwidth: .fixed(reference.bandwidth))
        let partitionsAgree = samePartition(result.labels, reference.labels)
        #expect(partitionsAgree, "h = \(reference.bandwidth): \(result.clusterCount) clusters vs \(Set(reference.labels).count)")
        #expect(result.iterations == reference.passes)
        #expect(result.converged)
    }

    @Test func defaultBandwidthFindsAboutTheTenDigits() throws {
        // The default samples 1,000 of the 1,797 points, so h differs a little from the
        // all-points value; the clustering should still land near the ten classes.
        let result = try gridShift(DigitsFixture.points, dimension: 3)
        #expect(abs(result.bandwidth - DigitsFixture.automaticBandwidth) < 0.1 * DigitsFixture.automaticBandwidth)
        #expect((8...20).contains(result.clusterCount), "\(result.clusterCount) clusters at h = \(result.bandwidth)")
    }
}
