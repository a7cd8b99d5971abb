import ArgumentParser
import ContrastiveLearning
import Datasets
import Foundation
import Pipeline

/// `nrcc ablation`: the paper's Table 2 for any labelled dataset.
struct AblationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ablation",
        abstract: "Reproduce the layout of the paper's Tables 2 and 9 on a labelled dataset.",
        discussion: """
            --paradigms (InfoNCE and BYOL: Table 2; add simsiam and barlowtwins for Table 9) x \
            {no regularizer, NRCC with an ordinary augmentation, NRCC with SGHMC} x {k-means on \
            the embedding, t-SNE + GridShift, UMAP + GridShift}. Three trainings per paradigm, \
            each clustered three ways; writes ablation.md and ablation.csv into \
            --output, with one run folder per training (re-runs skip finished stages). \
            With --seeds N every training runs for N training seeds (from --training-seed on) \
            and the table gives each row's mean and standard deviation and the paired \
            differences NRCC minus no regularizer.

            With --backbones (the lower half of the paper's Table 10) it compares backbones \
            instead: --paradigm and --nrcc trained with each backbone at equal training time \
            (--minutes, turned into epochs by each backbone's cost model; --epochs gives all \
            the same epochs), clustered by k-means with the true k and by UMAP + GridShift \
            without k; writes backbones.md and backbones.csv.
            """)

    @Option(help: "A labelled dataset name or path.")
    var dataset: String = "digits"

    @Option(help: DatasetSplit.help)
    var split: DatasetSplit = .all

    @Option(help: "The ablation folder.")
    var output: String?

    @Option(parsing: .upToNextOption, help: "The paradigms compared (--paradigm is ignored here).")
    var paradigms: [Paradigm] = [.infonce, .byol]

    @Option(parsing: .upToNextOption,
            help: "Compare these backbones (e.g. resnet18 resnet34 vit-tiny vit-small) instead of Table 2's rows.")
    var backbones: [BackboneArchitecture] = []

    @Option(help: "Training seeds per row, from --training-seed on (each trains every row once more).")
    var seeds: Int = 1

    @OptionGroup var training: TrainingOptions
    @OptionGroup var clustering: ClusterOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        try Ranks.requireOneProcess("ablation")
        let images = try loadImageDataset(dataset, split: split)
        let directory = try RunDirectory(
            path: output ?? "runs/ablation-\(URL(fileURLWithPath: dataset).lastPathComponent)")
        let printer = display.progressPrinter()
        if !backbones.isEmpty {
            let sweep = try BackboneSweep(
                dataset: images, datasetName: dataset, split: split, backbones: backbones,
                training: try training.validatedOverrides(for: images), seedCount: seeds,
                clustering: try clustering.settings(), directory: directory)
            let rows = try sweep.run(progress: printer.handler, message: { printer.message($0) })
            if display.json {
                try printJSON(rows)
            } else {
                print(backboneSweepMarkdown(rows, dataset: dataset, training: sweep.training))
                print("written: \(directory.file("backbones.md").path), \(directory.file("backbones.csv").path)")
            }
            return
        }
        let ablation = try Ablation(
            dataset: images, datasetName: dataset, split: split, paradigms: paradigms, training: try training.validatedOverrides(for: images),
            seedCount: seeds, clustering: try clustering.settings(), directory: directory)
        let rows = try ablation.run(progress: printer.handler, message: { printer.message($0) })
        if display.json {
            try printJSON(rows)
        } else {
            print(ablationMarkdown(rows, dataset: dataset))
            print("written: \(directory.file("ablation.md").path), \(directory.file("ablation.csv").path)")
        }
    }
}
