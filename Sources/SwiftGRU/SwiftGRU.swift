// The layers are built on GRUTensor; re-export it so that one `import SwiftGRU` gives
// tensors and activations too. GRUMath, the recurrence on raw buffers, stays the package's own.
@_exported import GRUTensor
