/// A float32 tensor, NCHW, row-major, contiguous, that records how it was made so that
/// gradients can flow back through it.
///
/// ## Using the tape
///
/// The tape is implicit in the tensors themselves: every op whose inputs need gradients
/// returns a tensor that remembers its inputs and its pullback. Nothing is global; a
/// task-local flag (`withoutGradient`) switches recording off.
///
///     // Leaves: parameters and anything else you want a gradient for.
///     let weight = Tensor(shape: [3, 4], scalars: ..., requiresGradient: true)
///     let input = Tensor(shape: [2, 4], scalars: ...)
///     input.requiresGradient = true                 // gradients w.r.t. inputs, e.g. SGHMC
///
///     // Forward: ordinary function calls build the graph.
///     let loss = matmul(input, weight, transposeB: true).relu().sum()
///
///     // Backward, form 1: accumulate into `.gradient` of every leaf that requires one
///     // (like PyTorch's `loss.backward()`; clear them with `zeroGradient()` between steps).
///     loss.backward()
///     let dWeight = weight.gradient!                // same shape as `weight`
///
///     // Backward, form 2: gradients of just the tensors you name, returned in order;
///     // no other `.gradient` is touched and work for other leaves is skipped.
///     let dInput = gradients(of: loss, withRespectTo: [input])[0]
///
///     // No-gradient mode: nothing inside records (e.g. the BYOL target network).
///     let target = withoutGradient { targetNetwork(views, mode: .training) }
///
/// After a backward pass the graph below the loss is released (every op's saved tensors and
/// pullbacks are dropped, intermediate gradients freed); a second backward through the same
/// graph traps. Only leaves keep `.gradient`. A tensor that was never differentiated releases
/// its graph when its last reference goes.
///
/// Ops never modify their inputs (batch normalisation in `.training` mode updates the
/// running-statistics tensors it is given, as documented there). Code that writes a tensor in place
/// (`withUnsafeMutableBufferPointer`, optimizers, EMA) must not do it to a tensor that a
/// graph still holds for its backward pass.
///
/// Tensors are reference types owned by one task at a time; ops spread their own work over
/// the cores internally.
///
/// ## A training step (NeuralNetworks), for orientation
///
///     BLASThreads.set(1)   // once: convolutions then split each batch over the cores
///     let f = ResNet(depth: .resnet18, width: 16, inputChannels: 1, generator: &generator)
///     let g = ProjectionHead(inputSize: f.featureSize, hiddenSize: 1024, outputSize: 256, generator: &generator)
///     let optimizer = SGD(groups: [.init(parameters: f.parameters + g.parameters, weightDecay: 5e-4)])
///     // Target network: same architecture, a copy of the state, never differentiated.
///     let targetF = ResNet(depth: .resnet18, width: 16, inputChannels: 1, generator: &generator)
///     targetF.copyState(from: f)
///     targetF.setRequiresGradient(false)
///
///     let z = g(f(images, mode: .training), mode: .training)          // batch statistics, running ones updated
///     let t = withoutGradient { targetF(images, mode: .training) }    // no graph at all
///     let loss = ...                                                  // ops on z and t
///     optimizer.zeroGradients()
///     loss.backward()
///     optimizer.step(learningRate: schedule.learningRate(atStep: step))
///     targetF.updateExponentialMovingAverage(toward: f, momentum: 0.996)
///
///     // SGHMC: gradient w.r.t. images through the frozen target, running statistics untouched.
///     let x = images.copy(); x.requiresGradient = true
///     let energy = ...targetF(x, mode: .trainingWithoutStatisticsUpdate)...
///     let dx = gradients(of: energy, withRespectTo: [x])[0]
///
///     // Features for clustering: running statistics, no graph.
///     let features = withoutGradient { f(images, mode: .evaluation) }
public final class Tensor {
    /// The extent of every dimension, outermost first (NCHW for images).
    public let shape: [Int]
    /// The number of elements: the product of `shape`.
    public let count: Int
    @usableFromInline let storage: TensorStorage

    /// Whether gradients flow to this tensor. Set it on leaves (parameters, inputs);
    /// op results get it from their inputs.
    public var requiresGradient: Bool

    /// The accumulated gradient of a leaf after `backward()`, same shape; nil before.
    public internal(set) var gradient: Tensor?

    /// How this tensor was made, while the graph is alive; nil for leaves.
    var node: GradientNode?
    /// Set during a backward pass: whether some requested gradient depends on this tensor.
    var isGradientNeeded = false
    /// Set when a backward pass released the graph that made this tensor.
    var isGraphReleased = false

    init(shape: [Int], storage: TensorStorage, requiresGradient: Bool = false) {
        let count = shape.reduce(1, *)
        checkArgument(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        checkArgument(storage.count >= count, "Tensor: storage of \(storage.count) elements for shape \(shape)")
        self.shape = shape
        self.count = count
        self.storage = storage
        self.requiresGradient = requiresGradient
    }

    /// A tensor of `shape` whose elements are all `value`.
    public convenience init(shape: [Int], repeating value: Float = 0, requiresGradient: Bool = false) {
        let count = shape.reduce(1, *)
        let storage = TensorStorage(count: count)
        storage.pointer.initialize(repeating: value, count: count)
        self.init(shape: shape, storage: storage, requiresGradient: requiresGradient)
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public convenience init(shape: [Int], scalars: [Float], requiresGradient: Bool = false) {
        let count = shape.reduce(1, *)
        checkArgument(scalars.count == count,
                     "Tensor: shape \(shape) needs \(count) scalars, got \(scalars.count)")
        let storage = TensorStorage(count: count)
        scalars.withUnsafeBufferPointer { source in
            if count > 0 { storage.pointer.initialize(from: source.baseAddress!, count: count) }
        }
        self.init(shape: shape, storage: storage, requiresGradient: requiresGradient)
    }

    /// A scalar tensor (shape `[]`).
    public convenience init(_ value: Float, requiresGradient: Bool = false) {
        self.init(shape: [], scalars: [value], requiresGradient: requiresGradient)
    }

    /// A tensor of `shape` with uninitialised contents; ops fill it before anyone reads it.
    @usableFromInline
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(count: shape.reduce(1, *)))
    }

    /// A tensor of `shape` filled with zeros.
    public static func zeros(_ shape: [Int], requiresGradient: Bool = false) -> Tensor {
        Tensor(shape: shape, repeating: 0, requiresGradient: requiresGradient)
    }

    /// A tensor of `shape` with independent N(mean, standardDeviation^2) elements.
    public static func randomNormal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
        generator: inout SeededGenerator, requiresGradient: Bool = false
    ) -> Tensor {
        let result = Tensor.uninitialized(shape)
        for index in 0..<result.count {
            result.storage.pointer[index] = mean + standardDeviation * generator.nextGaussian()
        }
        result.requiresGradient = requiresGradient
        return result
    }

    /// A tensor of `shape` with independent U[lower, upper) elements.
    public static func randomUniform(
        _ shape: [Int], lower: Float = 0, upper: Float = 1,
        generator: inout SeededGenerator, requiresGradient: Bool = false
    ) -> Tensor {
        let result = Tensor.uninitialized(shape)
        for index in 0..<result.count {
            result.storage.pointer[index] = generator.nextUniform(lower, upper)
        }
        result.requiresGradient = requiresGradient
        return result
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The elements in row-major order (a copy).
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        checkArgument(count == 1, "scalar: tensor of shape \(shape) has \(count) elements, not 1")
        return storage.pointer[0]
    }

    /// Reads the elements in place.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Writes the elements in place. Do not write a tensor that a live graph saved for its
    /// backward pass (see the type's documentation).
    @inlinable
    public func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// Overwrites the elements with those of `source`, which must have the same shape.
    public func assign(_ source: Tensor) {
        checkArgument(source.shape == shape, "assign: destination has shape \(shape), source has shape \(source.shape)")
        if source.storage === storage { return }
        storage.pointer.update(from: source.storage.pointer, count: count)
    }

    /// A new leaf tensor with the same elements and no history (PyTorch's `detach().clone()`).
    public func copy() -> Tensor {
        let result = Tensor.uninitialized(shape)
        result.storage.pointer.update(from: storage.pointer, count: count)
        return result
    }

    /// A leaf tensor sharing these elements but cut from the graph (stop-gradient, `sg` in
    /// the paper). No gradient flows through it.
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// Forgets the accumulated gradient (the next backward pass starts from zero).
    public func zeroGradient() {
        gradient = nil
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}

/// The memory behind a tensor: `count` floats, 64-byte aligned, freed with the last tensor
/// that uses it (reshapes and detached copies share it).
@usableFromInline
final class TensorStorage {
    @usableFromInline let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        _ = Heap.keepsFreedMemory
        self.count = count
        var raw: UnsafeMutableRawPointer?
        let bytes = max(64, count * MemoryLayout<Float>.stride)
        let status = posix_memalign(&raw, 64, bytes)
        checkArgument(status == 0 && raw != nil, "Tensor: cannot allocate \(bytes) bytes")
        pointer = raw!.bindMemory(to: Float.self, capacity: max(1, count))
    }

    deinit {
        free(pointer)
    }
}

#if canImport(Glibc)
import Basics
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
