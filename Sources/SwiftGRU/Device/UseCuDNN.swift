/// Whether a ``GRU`` runs on cuDNN (Keras' `use_cudnn`): `.auto`, `true` or `false`.
///
/// `.auto` uses the GPU kernel when a GPU is present and the layer meets
/// cuDNN's conditions, else the CPU path; `true` makes a call fail with an
/// error naming what stands in the way.
public enum UseCuDNN: Sendable, Hashable, ExpressibleByBooleanLiteral {
    case auto
    case enabled
    case disabled

    public init(booleanLiteral value: Bool) { self = value ? .enabled : .disabled }
}
