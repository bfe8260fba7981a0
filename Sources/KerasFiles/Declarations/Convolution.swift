import SwiftGRU

extension LayerDeclaration {
    /// `Conv1D`, `Conv2D` and `Conv3D` (Keras 2 also wrote `Convolution1D/2D/3D`).
    static func convolution(rank: Int) -> LayerDeclaration {
        LayerDeclaration(
            classNames: ["Conv\(rank)D", "Convolution\(rank)D"],
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
                } else if rank == 2 {
                    layer = try Conv2D<Float>(
                        filters: arguments.filters, kernelSize: kernel, strides: strides, padding: arguments.padding,
                        dataFormat: arguments.format, dilationRate: dilation, groups: arguments.groups, activation: arguments.activation,
                        useBias: arguments.useBias, kernelInitializer: arguments.kernelInitializer,
                        biasInitializer: arguments.biasInitializer, name: name)
                } else {
                    layer = try Conv3D<Float>(
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
            },
            onnx: .convolution)
    }

    static let depthwiseConv1D = LayerDeclaration(
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
        },
        onnx: .depthwiseConvolution)

    static let separableConv1D = LayerDeclaration(
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
        },
        onnx: .separableConv1D)
}

extension ONNXEmitter {
    static let convolution = ONNXEmitter.of(Convolution<Float>.self) { e, convolution, call in
        guard convolution.dataFormat == .channelsLast, let kernel = convolution.kernel else {
            throw e.fail(convolution, "only built channels_last convolutions are exported")
        }
        guard !call.x.paddingDiffers else { throw e.fail(convolution, "its input's padded steps differ between Keras and ONNX") }
        let rank = convolution.kernelSize.count + 2
        // Keras keeps (window..., inputs / groups, filters); ONNX (filters, inputs / groups, window...).
        let output = try e.conv(
            call.x.name, kernel: e.graph.constant(try kernel.transposed([rank - 1, rank - 2] + Array(0..<(rank - 2))), "conv_kernel"),
            bias: convolution.bias, size: convolution.kernelSize, strides: convolution.strides, dilations: convolution.dilationRate,
            groups: convolution.groups, padding: convolution.padding)
        return [ONNXValue(name: try e.apply(convolution.activation, output, convolution))]
    }
}

extension ONNXEmitter {
    static let depthwiseConvolution = ONNXEmitter.of(DepthwiseConvolution<Float>.self) { e, depthwise, call in
        guard depthwise.dataFormat == .channelsLast, depthwise.kernelSize.count == 1, depthwise.weights.count >= 1 else {
            throw e.fail(depthwise, "only built channels_last 1D depthwise convolutions are exported")
        }
        guard !call.x.paddingDiffers else { throw e.fail(depthwise, "its input's padded steps differ between Keras and ONNX") }
        let weights = depthwise.weights
        let output = try e.conv(
            call.x.name, kernel: e.graph.constant(try e.depthwiseKernel(weights[0]), "depthwise_kernel"), bias: weights.count > 1 ? weights[1] : nil,
            size: depthwise.kernelSize, strides: depthwise.strides, dilations: depthwise.dilationRate, groups: weights[0].shape[1],
            padding: depthwise.padding)
        return [ONNXValue(name: try e.apply(depthwise.activation, output, depthwise))]
    }
}

extension ONNXEmitter {
    static let separableConv1D = ONNXEmitter.of(SeparableConv1D<Float>.self) { e, separable, call in
        guard separable.dataFormat == .channelsLast, let depthwiseKernel = separable.depthwiseKernel, let pointwise = separable.pointwiseKernel else {
            throw e.fail(separable, "only built channels_last separable convolutions are exported")
        }
        guard !call.x.paddingDiffers else { throw e.fail(separable, "its input's padded steps differ between Keras and ONNX") }
        let spread = try e.conv(
            call.x.name, kernel: e.graph.constant(try e.depthwiseKernel(depthwiseKernel), "depthwise_kernel"), bias: nil,
            size: [separable.kernelSize], strides: [separable.strides], dilations: [separable.dilationRate],
            groups: depthwiseKernel.shape[1], padding: separable.padding)
        let output = try e.conv(
            spread, kernel: e.graph.constant(try pointwise.transposed([2, 1, 0]), "pointwise_kernel"), bias: separable.weights.count > 2 ? separable.weights[2] : nil,
            size: [1], strides: [1], dilations: [1], groups: 1, padding: .valid)
        return [ONNXValue(name: try e.apply(separable.activation, output, separable))]
    }
}

extension LayerDeclaration {
    /// `Conv1DTranspose`, `Conv2DTranspose` and `Conv3DTranspose` (Keras 2 also wrote
    /// `Convolution2DTranspose`/`Deconvolution2D`). ONNX export is refused by name.
    static func transposedConvolution(rank: Int) -> LayerDeclaration {
        LayerDeclaration(
            classNames: ["Conv\(rank)DTranspose", "Convolution\(rank)DTranspose"] + (rank == 2 ? ["Deconvolution2D"] : rank == 3 ? ["Deconvolution3D"] : []),
            decode: { c, name, decoder in
                let ones = Array(repeating: 1, count: rank)
                let kernel = try decoder.integers(c["kernel_size"], count: rank, fallback: [], "kernel_size", layer: name)
                let strides = try decoder.integers(c["strides"], count: rank, fallback: ones, "strides", layer: name)
                let dilation = try decoder.integers(c["dilation_rate"], count: rank, fallback: ones, "dilation_rate", layer: name)
                let outputPadding = try c["output_padding"].flatMap { $0.isNull ? nil : try decoder.integers($0, count: rank, fallback: [], "output_padding", layer: name) }
                guard kernel.count == rank else { throw decoder.fail("layer '\(name)': kernel_size is missing") }
                let (filters, padding) = (c["filters"]?.int ?? 0, try decoder.padding(c["padding"], layer: name))
                let (format, activation) = (try decoder.dataFormat(c["data_format"], layer: name), try decoder.activation(c["activation"], layer: name))
                let useBias = c["use_bias"]?.bool ?? true
                let kernelInitializer = try decoder.initializer(c["kernel_initializer"], default: .glorotUniform(), layer: name)
                let biasInitializer = try decoder.initializer(c["bias_initializer"], default: .zeros, layer: name)
                let layer: TransposedConvolution<Float>
                switch rank {
                case 1:
                    layer = try Conv1DTranspose<Float>(
                        filters: filters, kernelSize: kernel[0], strides: strides[0], padding: padding, outputPadding: outputPadding?[0],
                        dataFormat: format, dilationRate: dilation[0], activation: activation, useBias: useBias,
                        kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, name: name)
                case 2:
                    layer = try Conv2DTranspose<Float>(
                        filters: filters, kernelSize: kernel, strides: strides, padding: padding, outputPadding: outputPadding,
                        dataFormat: format, dilationRate: dilation, activation: activation, useBias: useBias,
                        kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, name: name)
                default:
                    layer = try Conv3DTranspose<Float>(
                        filters: filters, kernelSize: kernel, strides: strides, padding: padding, outputPadding: outputPadding,
                        dataFormat: format, dilationRate: dilation, activation: activation, useBias: useBias,
                        kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, name: name)
                }
                (layer.kernelRegularizer, layer.kernelConstraint) = try decoder.weightRules(c, "kernel", layer: name)
                (layer.biasRegularizer, layer.biasConstraint) = try decoder.weightRules(c, "bias", layer: name)
                layer.activityRegularizer = try decoder.regularizer(c["activity_regularizer"], layer: name)
                return layer
            },
            matches: { ($0 as? TransposedConvolution<Float>)?.kernelSize.count == rank },
            encode: { layer in
                guard let conv = layer as? TransposedConvolution<Float>, conv.kernelSize.count == rank else { return nil }
                let config: [String: JSONValue] = [
                    "filters": .integer(conv.filters), "kernel_size": KerasConfigEncoder.integers(conv.kernelSize),
                    "strides": KerasConfigEncoder.integers(conv.strides), "padding": .string(conv.padding.rawValue),
                    "output_padding": conv.outputPadding.map(KerasConfigEncoder.integers) ?? .null,
                    "data_format": .string(conv.dataFormat.rawValue), "dilation_rate": KerasConfigEncoder.integers(conv.dilationRate),
                    "activation": try KerasConfigEncoder.activation(conv.activation, layer: conv.name),
                    "use_bias": .bool(conv.useBias), "kernel_initializer": KerasConfigEncoder.initializer(conv.kernelInitializer),
                    "bias_initializer": KerasConfigEncoder.initializer(conv.biasInitializer),
                    "activity_regularizer": KerasConfigEncoder.regularizer(conv.activityRegularizer),
                ]
                return config.merging(KerasConfigEncoder.weightRules("kernel", conv.kernelRegularizer, conv.kernelConstraint)) { $1 }
                    .merging(KerasConfigEncoder.weightRules("bias", conv.biasRegularizer, conv.biasConstraint)) { $1 }
            })
    }
}
