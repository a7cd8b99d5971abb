import ContrastiveLearning
import Datasets
import Foundation
import Reporting
import Basics
import TensorCore

/// The epochs of a run's monitor log (one `EpochMonitors` per line; lines that do not decode
/// are skipped).
func epochMonitors(logURL: URL) throws -> [EpochMonitors] {
    let text = try String(contentsOf: logURL, encoding: .utf8)
    let decoder = JSONDecoder()
    return text.split(separator: "\n").compactMap { try? decoder.decode(EpochMonitors.self, from: Data($0.utf8)) }
}

/// The training curves of a run, read from its monitor log.
func trainingHistory(logURL: URL) throws -> TrainingHistory? {
    let epochs = try epochMonitors(logURL: logURL)
    guard !epochs.isEmpty else { return nil }
    let x = epochs.map { Double($0.epoch + 1) }
    func series(_ name: String, _ values: [Double?]) -> CurveSeries? {
        let points = zip(x, values).compactMap { epoch, value in value.map { (epoch, $0) } }
        return points.isEmpty ? nil : CurveSeries(name: name, epochs: points.map(\.0), values: points.map(\.1))
    }
    var losses = [series("total", epochs.map(\.loss)), series("contrastive", epochs.map(\.contrastiveLoss))]
    if epochs.contains(where: { $0.regularizerLoss != 0 }) {
        losses.append(series("NRCC regularizer", epochs.map(\.regularizerLoss)))
    }
    losses.append(series("cluster head", epochs.map(\.clusterLoss)))
    var history = TrainingHistory(
        lossParts: losses.compactMap { $0 },
        knnAccuracy: series("weighted kNN accuracy", epochs.map(\.knnAccuracy)),
        featureStandardDeviation: series("feature std", epochs.map(\.featureStandardDeviation)),
        featureDimension: 256)
    let terms = epochs.map(\.regularizerTerms)
    func chart(_ title: String, _ parts: [(String, KeyPath<RegularizerTerms, Double>)]) -> CurveChart? {
        let lines = parts.compactMap { name, field in series(name, terms.map { $0?[keyPath: field] }) }
        return lines.isEmpty ? nil : CurveChart(title: title, series: lines)
    }
    history.regularizerCharts = [
        chart("NRCC terms", [("LSE over SGHMC negatives", \.negativeTerm), ("beta x LSE over the other view", \.positiveTerm)]),
        chart("NRCC gradient size per anchor", [("negatives' term", \.negativeGradient), ("positives' term", \.positiveGradient)]),
        chart("Distance of negative pairs (unit embeddings)", [
            ("SGHMC views", \.sghmcDistanceMean), ("other augmented view", \.augmentationDistanceMean),
        ]),
        chart("Distance to the anchor's own views", [
            ("its SGHMC view", \.sghmcSeedDistance), ("its other augmented view", \.positivePairDistance),
        ]),
    ].compactMap { $0 }
    return history
}

/// The training settings, for the report's settings table.
func trainingSettingsList(_ settings: RunSettings) -> [ReportSetting] {
    var list = [ReportSetting("dataset", settings.dataset)]
    guard let training = settings.training else { return list + [ReportSetting("training", "none (feature input)")] }
    list += [
        ReportSetting("paradigm", training.paradigm.rawValue),
        ReportSetting("nrcc regularizer", training.usesRegularizer
                      ? "on (\(training.preset.rawValue) preset, lambda \(training.regularizer.weight))" : "off"),
        ReportSetting("backbone", training.backboneDescription),
        ReportSetting("precision", training.arithmeticPrecision == .bf16
                      ? "bf16 convolutions, \(BFloat16Kernel.fastestDescription)" : "fp32"),
        ReportSetting("epochs", "\(training.epochs)"),
        ReportSetting("batch size", "\(training.batchSize)"),
        ReportSetting("learning rate", "\(training.learningRate)"),
        ReportSetting("augmentations", training.augmentation.summary),
        ReportSetting("features", settings.features.rawValue + (settings.embeddingViews == 0 ? ""
                      : ", each image averaged with \(settings.embeddingViews) views (crops of at least "
                        + "\(Int(EmbeddingViews.cropFloor * 100))%)")),
        ReportSetting("training seed", "\(training.seed)"),
    ]
    if training.usesRegularizer {
        let r = training.regularizer
        list += [
            ReportSetting("regularizer lambda / tau_r / beta", "\(r.weight) / \(r.temperature) / \(r.beta)"),
            ReportSetting("sghmc", "\(training.sghmc.variant.rawValue), zeta \(training.sghmc.steps)"),
        ]
    }
    if let head = training.clusterHead {
        list.append(ReportSetting("cluster head K / weight / tau_c", "\(head.size) / \(head.weight) / \(head.temperature)"))
    }
    if let size = training.supportSetSize {
        list.append(ReportSetting("positives", "nearest neighbours among the last \(size) embeddings (NNCLR)"))
    }
    return list
}
