// The Datasets module: real image collections in, augmented float batches out.
//
// Entry points:
//   loadDataset(_:split:folderOptions:searchPaths:)  a name (`digits`, `fashion-mnist`, `usps`,
//       `coil20`, `cifar10`, `cifar10-lt`, `cifar100`, `cifar20`) or any path -> DatasetContents
//   Normalization(of:)                               per-dataset, per-channel mean and std
//   TwoViewLoader(...).batches(from:step:endEpoch:)  shuffled two-view batches, prefetched
//   ImageDataset.batch(_:normalization:)             plain normalised batches (embedding)
//   writeNPY, encodePNG, ImageDataset.longTailed     outputs and the long-tail builder
//
// Layouts, written down once:
//   ImageDataset.pixels   UInt8, N x C x H x W, row-major (C = 1 grey or 3 RGB)
//   ImageBatch.pixels     Float, N x C x H x W, row-major, (byte / 255 - mean[c]) / std[c]
//   FeatureMatrix.values  Float, N x D, row-major
//
// Named shared-data datasets are searched in $NRCC_DATA, then ../shared/data relative to the
// current directory (`DatasetSearchPaths.standard`); `fashion-mnist` also in Debian's
// /usr/share/datasets (`apt-get install -y dataset-fashion-mnist`); `digits` is embedded.
// Labels are kept for scoring only. Randomness comes only from TensorCore's SeededGenerator,
// keyed by (seed, epoch, sample, view) for views and (seed, epoch) for the shuffle.
