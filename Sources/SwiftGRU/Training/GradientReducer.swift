/// How the workers of data-parallel training combine what each computed, as Horovod or
/// `tf.distribute.MultiWorkerMirroredStrategy` do: every worker runs
/// ``Trainer/fit(x:y:batchSize:epochs:initialEpoch:shuffle:validationSplit:validationData:validationSampleWeight:seed:sampleWeight:classWeight:stepsPerEpoch:validationSteps:callbacks:onEvent:)-([Tensor<Scalar>],_,_,_,_,_,_,_,_,_,_,_,_,_,_,_)``
/// on the same model and data with the reducer as ``Trainer/gradientReducer``; each takes its
/// share of every batch, and the gradients are summed over the workers before every update.
///
/// `GRUDistributed`'s `MPIGradientReducer` is one over MPI; any other transport can conform.
/// Every call is collective: all workers make the same calls in the same order.
public protocol GradientReducer: AnyObject {
    /// This worker's index, from 0; worker 0 is the one that reports and writes.
    var rank: Int { get }
    /// The number of workers.
    var size: Int { get }
    /// Replaces `values` with their sum over the workers (every worker gives as many).
    ///
    /// - Throws: When the workers cannot be reached; the training then stops.
    func sum(_ values: inout [Double]) throws
    /// Replaces `values` with worker `root`'s (every worker gives as many).
    ///
    /// - Throws: When the workers cannot be reached.
    func broadcast(_ values: inout [Double], from root: Int) throws
}

extension GradientReducer {
    /// The rows of a global batch of `count` that this worker takes: a contiguous share, the
    /// first `count % size` workers one more, so that a batch position always goes to the same
    /// worker (what stateful layers need).
    func share(of count: Int) -> Range<Int> {
        let base = count / size, extra = count % size
        let start = rank * base + Swift.min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }
}
