// The layers are built on these modules; re-export them so that one
// `import SwiftGRU` gives tensors, activations and the GRU math too.
@_exported import GRUMath
@_exported import GRUTensor
