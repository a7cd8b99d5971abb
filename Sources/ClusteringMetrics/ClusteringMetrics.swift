// The ClusteringMetrics module: scores a clustering against reference labels (ACC with a
// rectangular Hungarian match, NMI, ARI, AMI, the contingency table) and a labelled feature
// set (weighted kNN accuracy). It depends on nothing but the platform's C library, so any
// stage of nrcc (training monitors, the command, reports) can use it.
//
// Conventions shared by every function here:
// - labels are arbitrary `Int` values (negative ones included); only equality matters, so
//   every score is invariant to renaming the labels of either side;
// - `truth` comes first and `predicted` second where the score is not symmetric;
// - both label arrays must have the same, non-zero length: a mismatch is a programmer error
//   and traps (a command validates user input before calling in).
