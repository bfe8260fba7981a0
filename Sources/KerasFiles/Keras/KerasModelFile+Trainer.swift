import SwiftGRU

extension KerasModelFile {
    /// A trainer for the model as the file's compile_config compiled it (Keras'
    /// `load_model` then `fit`): its optimizer (learning-rate schedule included), its loss or
    /// losses per output with their `loss_weights`, and its metrics, per output where the
    /// file gives them so; with the file's own optimizer, the optimizer state saved with the
    /// model too (``restoreOptimizerState(of:)``).
    ///
    /// - Parameter optimizer: Replaces the file's optimizer (which then starts afresh).
    /// - Throws: ``FileFormatError`` when the model was not compiled, or a setting is not
    ///   supported (never a silent default).
    public func compiledTrainer(optimizer: Optimizer? = nil) throws -> Trainer<Float> {
        let names = model.outputNames
        let losses = try KerasCompileConfig.losses(from: compileConfig, outputNames: names)
        let trainer = Trainer(
            model: model, optimizer: try optimizer ?? KerasCompileConfig.optimizer(from: compileConfig, tfKeras2: format == .legacyHDF5),
            loss: losses.loss, lossWeights: losses.lossWeights)
        trainer.outputLosses = losses.outputLosses
        if let perOutput = try KerasCompileConfig.outputMetrics(from: compileConfig, outputNames: names) {
            trainer.outputMetrics = perOutput
        } else {
            trainer.metrics = try KerasCompileConfig.metrics(from: compileConfig)
        }
        if optimizer == nil {
            do { try restoreOptimizerState(of: trainer) } catch let error as LayerError {
                throw FileFormatError("the optimizer state saved with the model does not fit it: \(error.message)", underlying: error)
            }
        }
        return trainer
    }
}
