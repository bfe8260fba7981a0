/// The update rule of one Keras optimizer class: its settings, the slots it keeps per weight
/// (momentums, accumulators) and one step of its update. ``Optimizer`` adds what every Keras
/// optimizer shares: the learning rate or its schedule, clipping and weight decay.
///
/// Each Keras optimizer class is one type conforming to this protocol, in its own file.
public protocol OptimizerRule: Sendable, Hashable {
    /// The Keras class name (`Adam`).
    var className: String { get }

    /// The starting value of each slot a weight keeps, in the order ``update(_:slots:_:)`` reads them.
    var slotStartingValues: [Double] { get }

    /// Keras 3's creation order of the slots (`optimizer.variables`): groups of slots created
    /// together, each weight's slots of a group listed together before the next weight's.
    var kerasSlotGroups: [[Int]] { get }

    /// The slots tf.keras 2 keeps (`optimizer_weights` of an `.h5` file), each kind for every
    /// weight in turn; `nil` where its tf.keras 2 state is not read or written here.
    var tfKeras2Slots: [Int]? { get }

    /// Slots a Keras 2.0-2.2 file keeps after ``tfKeras2Slots`` that tf.keras does not read
    /// (Adam's `vhat` without amsgrad).
    var tfKeras2UnreadSlots: Int { get }

    /// Updates one weight, in place, with its slots.
    func update<Scalar: TensorScalar>(_ weight: inout [Scalar], slots: inout [[Scalar]], _ step: OptimizerStep<Scalar>)

    /// Whether ``update(_:slots:_:)`` takes a step whose gradient holds only some rows
    /// (``OptimizerStep/rows``), every other row zero; the rules that do not are handed every entry.
    var updatesRows: Bool { get }

    /// Whether the rule keeps a running product across all weights (Nadam's `_u_product`),
    /// which Keras saves after the slots.
    var keepsMomentumProduct: Bool { get }

    /// The running product after the step numbered `step` (from 1); `nil` for the rules that
    /// keep none.
    func momentumProduct<Scalar: TensorScalar>(after product: Scalar, step: Scalar) -> Scalar?
}

extension OptimizerRule {
    public var tfKeras2Slots: [Int]? { nil }
    public var tfKeras2UnreadSlots: Int { 0 }
    public var keepsMomentumProduct: Bool { false }
    public var updatesRows: Bool { false }
    public func momentumProduct<Scalar: TensorScalar>(after product: Scalar, step: Scalar) -> Scalar? { nil }
}

/// What one weight's update reads: its gradient after clipping, and the step.
public struct OptimizerStep<Scalar: TensorScalar>: Sendable {
    /// The gradient.
    public var gradient: [Scalar]
    /// The squares of the gradient; where TensorFlow keeps an Embedding's gradient as slices,
    /// the sum of the slices' squares (``LayerGradients/sliceSquares``).
    public var squares: [Scalar]
    /// Likewise the absolute values (``LayerGradients/sliceAbsolutes``).
    public var absolutes: [Scalar]
    /// `nil` when the arrays above hold every entry of the weight; else the rows of its first
    /// axis they hold (ascending, each `gradient.count / rows.count` entries), every other row
    /// of the gradient zero. Only a rule whose ``OptimizerRule/updatesRows`` is `true` gets these.
    public var rows: [Int]?
    /// The learning rate of this step.
    public var learningRate: Scalar
    /// The step's number, from 1 (Keras' `iterations + 1`).
    public var step: Scalar
    /// The rule's running product after this step (``OptimizerRule/momentumProduct(after:step:)``).
    public var momentumProduct: Scalar
    /// tf.keras 2's formulas (``Optimizer/epsilonOutsideSquareRoot``).
    public var epsilonOutsideSquareRoot: Bool
}
