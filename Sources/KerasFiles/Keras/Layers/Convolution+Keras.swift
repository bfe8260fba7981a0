import SwiftGRU

extension KerasLayerCodec {
    /// `Conv1D` and `Conv2D` (Keras 2 also wrote `Convolution1D`/`Convolution2D`).
    static func convolution(rank: Int) -> KerasLayerCodec {
        KerasLayerCodec(
            classNames: rank == 1 ? ["Conv1D", "Convolution1D"] : ["Conv2D", "Convolution2D"],
            decode: { c, name, decoder in
                let kernel = try decoder.integers(c["kernel_size"], count: rank, fallback: [], "kernel_size", layer: name)
                let strides = try decoder.integers(c["strides"], count: rank, fallback: Array(repeating: 1, count: rank), "strides", layer: name)
                let dilation = try decoder.integers(c["dilation_rate"], count: rank, fallback: Array(repeating: 1, count: rank), "dilation_rate", layer: name)
                let arguments = (
                    filters: c["filters"]?.int ?? 0, padding: try decoder.padding(c["padding"], layer: name),
                    format: try decoder.dataFormat(c["data_format"], layer: name), groups: c["groups"]?.int ?? 1,
                    activation: try decoder.activation(c["activation"], layer: name), useBias: c["use_bias"]?.bool ?? true,
                    kernelInitializer: try decoder.initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name),
                    biasInitializer: try decoder.initializer(c["bias_initializer"], default: .zeros, layer: name))
                let layer: Convolution<Float>
                if rank == 1 {
                    guard kernel.count == 1 else { throw decoder.fail("layer '\(name)': kernel_size is missing") }
                    layer = try Conv1D<Float>(
                        filters: arguments.filters, kernelSize: kernel[0], strides: strides[0], padding: arguments.padding,
                        dataFormat: arguments.format, dilationRate: dilation[0], groups: arguments.groups, activation: arguments.activation,
                        useBias: arguments.useBias, kernelInitializer: arguments.kernelInitializer,
                        biasInitializer: arguments.biasInitializer, name: name)
                } else {
                    layer = try Conv2D<Float>(
                        filters: arguments.filters, kernelSize: kernel, strides: strides, padding: arguments.padding,
                        dataFormat: arguments.format, dilationRate: dilation, groups: arguments.groups, activation: arguments.activation,
                        useBias: arguments.useBias, kernelInitializer: arguments.kernelInitializer,
                        biasInitializer: arguments.biasInitializer, name: name)
                }
                (layer.kernelRegularizer, layer.kernelConstraint) = try decoder.weightRules(c, "kernel", layer: name)
                (layer.biasRegularizer, layer.biasConstraint) = try decoder.weightRules(c, "bias", layer: name)
                layer.activityRegularizer = try decoder.regularizer(c["activity_regularizer"], layer: name)
                return layer
            },
            matches: { ($0 as? Convolution<Float>)?.kernelSize.count == rank },
            encode: { layer in
                guard let conv = layer as? Convolution<Float>, conv.kernelSize.count == rank else { return nil }
                let config: [String: JSONValue] = [
                    "filters": .integer(conv.filters), "kernel_size": KerasConfigEncoder.integers(conv.kernelSize),
                    "strides": KerasConfigEncoder.integers(conv.strides), "padding": .string(conv.padding.rawValue),
                    "data_format": .string(conv.dataFormat.rawValue), "dilation_rate": KerasConfigEncoder.integers(conv.dilationRate),
                    "groups": .integer(conv.groups), "activation": try KerasConfigEncoder.activation(conv.activation, layer: conv.name),
                    "use_bias": .bool(conv.useBias), "kernel_initializer": KerasConfigEncoder.initializer(conv.kernelInitializer),
                    "bias_initializer": KerasConfigEncoder.initializer(conv.biasInitializer),
                    "activity_regularizer": KerasConfigEncoder.regularizer(conv.activityRegularizer),
                ]
                return config.merging(KerasConfigEncoder.weightRules("kernel", conv.kernelRegularizer, conv.kernelConstraint)) { $1 }
                    .merging(KerasConfigEncoder.weightRules("bias", conv.biasRegularizer, conv.biasConstraint)) { $1 }
            })
    }

    static let depthwiseConv1D = KerasLayerCodec(
        classNames: ["DepthwiseConv1D"],
        decode: { c, name, decoder in
            let layer = try DepthwiseConv1D<Float>(
                kernelSize: decoder.integers(c["kernel_size"], count: 1, fallback: [0], "kernel_size", layer: name)[0],
                strides: decoder.integers(c["strides"], count: 1, fallback: [1], "strides", layer: name)[0],
                padding: decoder.padding(c["padding"], layer: name), depthMultiplier: c["depth_multiplier"]?.int ?? 1,
                dataFormat: decoder.dataFormat(c["data_format"], layer: name),
                dilationRate: decoder.integers(c["dilation_rate"], count: 1, fallback: [1], "dilation_rate", layer: name)[0],
                activation: decoder.activation(c["activation"], layer: name), useBias: c["use_bias"]?.bool ?? true,
                depthwiseInitializer: decoder.initializer(c["depthwise_initializer"], default: .glorotUniform(), layer: name),
                biasInitializer: decoder.initializer(c["bias_initializer"], default: .zeros, layer: name), name: name)
            (layer.depthwiseRegularizer, layer.depthwiseConstraint) = try decoder.weightRules(c, "depthwise", layer: name)
            (layer.biasRegularizer, layer.biasConstraint) = try decoder.weightRules(c, "bias", layer: name)
            layer.activityRegularizer = try decoder.regularizer(c["activity_regularizer"], layer: name)
            return layer
        },
        matches: { ($0 as? DepthwiseConvolution<Float>)?.kernelSize.count == 1 },
        encode: { layer in
            guard let conv = layer as? DepthwiseConvolution<Float>, conv.kernelSize.count == 1 else { return nil }
            let config: [String: JSONValue] = [
                "kernel_size": KerasConfigEncoder.integers(conv.kernelSize), "strides": KerasConfigEncoder.integers(conv.strides),
                "padding": .string(conv.padding.rawValue), "depth_multiplier": .integer(conv.depthMultiplier),
                "data_format": .string(conv.dataFormat.rawValue), "dilation_rate": KerasConfigEncoder.integers(conv.dilationRate),
                "activation": try KerasConfigEncoder.activation(conv.activation, layer: conv.name), "use_bias": .bool(conv.useBias),
                "depthwise_initializer": KerasConfigEncoder.initializer(conv.depthwiseInitializer),
                "bias_initializer": KerasConfigEncoder.initializer(conv.biasInitializer),
                "activity_regularizer": KerasConfigEncoder.regularizer(conv.activityRegularizer),
            ]
            return config.merging(KerasConfigEncoder.weightRules("depthwise", conv.depthwiseRegularizer, conv.depthwiseConstraint)) { $1 }
                .merging(KerasConfigEncoder.weightRules("bias", conv.biasRegularizer, conv.biasConstraint)) { $1 }
        })

    static let separableConv1D = KerasLayerCodec(
        classNames: ["SeparableConv1D", "SeparableConvolution1D"],
        decode: { c, name, decoder in
            let layer = try SeparableConv1D<Float>(
                filters: c["filters"]?.int ?? 0,
                kernelSize: decoder.integers(c["kernel_size"], count: 1, fallback: [0], "kernel_size", layer: name)[0],
                strides: decoder.integers(c["strides"], count: 1, fallback: [1], "strides", layer: name)[0],
                padding: decoder.padding(c["padding"], layer: name), dataFormat: decoder.dataFormat(c["data_format"], layer: name),
                dilationRate: decoder.integers(c["dilation_rate"], count: 1, fallback: [1], "dilation_rate", layer: name)[0],
                depthMultiplier: c["depth_multiplier"]?.int ?? 1, activation: decoder.activation(c["activation"], layer: name),
                useBias: c["use_bias"]?.bool ?? true,
                depthwiseInitializer: decoder.initializer(c["depthwise_initializer"], default: .glorotUniform(), layer: name),
                pointwiseInitializer: decoder.initializer(c["pointwise_initializer"], default: .glorotUniform(), layer: name),
                biasInitializer: decoder.initializer(c["bias_initializer"], default: .zeros, layer: name), name: name)
            (layer.depthwiseRegularizer, layer.depthwiseConstraint) = try decoder.weightRules(c, "depthwise", layer: name)
            (layer.pointwiseRegularizer, layer.pointwiseConstraint) = try decoder.weightRules(c, "pointwise", layer: name)
            (layer.biasRegularizer, layer.biasConstraint) = try decoder.weightRules(c, "bias", layer: name)
            layer.activityRegularizer = try decoder.regularizer(c["activity_regularizer"], layer: name)
            return layer
        },
        matches: { $0 is SeparableConv1D<Float> },
        encode: { layer in
            guard let conv = layer as? SeparableConv1D<Float> else { return nil }
            let config: [String: JSONValue] = [
                "filters": .integer(conv.filters), "kernel_size": [.integer(conv.kernelSize)], "strides": [.integer(conv.strides)],
                "padding": .string(conv.padding.rawValue), "data_format": .string(conv.dataFormat.rawValue),
                "dilation_rate": [.integer(conv.dilationRate)], "depth_multiplier": .integer(conv.depthMultiplier),
                "activation": try KerasConfigEncoder.activation(conv.activation, layer: conv.name), "use_bias": .bool(conv.useBias),
                "depthwise_initializer": KerasConfigEncoder.initializer(conv.depthwiseInitializer),
                "pointwise_initializer": KerasConfigEncoder.initializer(conv.pointwiseInitializer),
                "bias_initializer": KerasConfigEncoder.initializer(conv.biasInitializer),
                "activity_regularizer": KerasConfigEncoder.regularizer(conv.activityRegularizer),
            ]
            return config.merging(KerasConfigEncoder.weightRules("depthwise", conv.depthwiseRegularizer, conv.depthwiseConstraint)) { $1 }
                .merging(KerasConfigEncoder.weightRules("pointwise", conv.pointwiseRegularizer, conv.pointwiseConstraint)) { $1 }
                .merging(KerasConfigEncoder.weightRules("bias", conv.biasRegularizer, conv.biasConstraint)) { $1 }
        })
}
