import Basics

/// Whether ops record their pullbacks. On by default; `withoutGradient` turns it off for the
/// current task (and the tasks it starts), nothing else.
public enum GradientMode {
    @TaskLocal static var isDisabled = false

    /// Whether ops called now record the graph.
    public static var isEnabled: Bool { !isDisabled }
}

/// Runs `body` with gradient recording off: ops inside return plain tensors with no
/// history, as under PyTorch's `torch.no_grad()`.
public func withoutGradient<Result>(_ body: () throws -> Result) rethrows -> Result {
    try GradientMode.$isDisabled.withValue(true) { try body() }
}

/// One recorded op: its inputs and the pullback that turns the output's gradient into the
/// inputs' gradients.
///
/// The pullback receives the output tensor (for ops whose derivative uses their result) and
/// the output's gradient, and adds (`+=`) into `input.gradientPointer()` for every input
/// whose `isGradientNeeded` is set; a pullback that writes every element may instead take
/// `input.gradientDestination()`, which spares zero-filling a fresh gradient.
final class GradientNode {
    let inputs: [Tensor]
    let pullback: (_ output: Tensor, _ outputGradient: UnsafePointer<Float>) -> Void

    init(inputs: [Tensor], pullback: @escaping (Tensor, UnsafePointer<Float>) -> Void) {
        self.inputs = inputs
        self.pullback = pullback
    }
}

/// A gradient buffer and whether to add into it (false: it is fresh, overwrite it).
/// Unchecked Sendable: parallel chunks of a pullback share it and write disjoint indices.
struct GradientDestination: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let accumulates: Bool

    /// The BLAS `beta` that writes a product by the destination's rule: 1 adds, 0 assigns.
    var beta: Float { accumulates ? 1 : 0 }

    /// Writes `value` to element `index` by the destination's rule.
    @inline(__always)
    func write(_ index: Int, _ value: Float) {
        if accumulates { pointer[index] += value } else { pointer[index] = value }
    }
}

extension Tensor {
    /// Whether an op with these inputs should record itself.
    @usableFromInline
    static func shouldRecord(_ inputs: [Tensor]) -> Bool {
        GradientMode.isEnabled && inputs.contains { $0.requiresGradient }
    }

    /// Records how `self` was made from `inputs` when any input requires a gradient.
    func record(
        _ inputs: [Tensor],
        pullback: @escaping (_ output: Tensor, _ outputGradient: UnsafePointer<Float>) -> Void
    ) {
        guard Tensor.shouldRecord(inputs) else { return }
        requiresGradient = true
        node = GradientNode(inputs: inputs, pullback: pullback)
    }

    /// The gradient buffer of this tensor, created zero-filled on first use; pullbacks add
    /// into it.
    func gradientPointer() -> UnsafeMutablePointer<Float> {
        if let gradient { return gradient.storage.pointer }
        let created = Tensor(shape: shape, repeating: 0)
        gradient = created
        return created.storage.pointer
    }

    /// The gradient buffer for a pullback that writes every element of it. On the first
    /// contribution the buffer is created without zero-filling and the pullback assigns;
    /// afterwards it is the existing buffer and the pullback adds.
    func gradientDestination() -> GradientDestination {
        if let gradient { return GradientDestination(pointer: gradient.storage.pointer, accumulates: true) }
        let created = Tensor.uninitialized(shape)
        gradient = created
        return GradientDestination(pointer: created.storage.pointer, accumulates: false)
    }

    /// Backpropagates from this tensor, adding d(self)/d(leaf) into `.gradient` of every leaf
    /// that requires a gradient, then releases the graph.
    ///
    /// - Parameter seed: the gradient of the final objective with respect to `self`, same
    ///   shape; omit it for a one-element tensor (the seed is then 1).
    public func backward(seed: Tensor? = nil) {
        runBackward(seed: seed, requested: nil)
    }
}

/// The gradients of the one-element tensor `output` with respect to each of `tensors`, in
/// order, each with the shape of its tensor (zero where `output` does not depend on it).
/// No `.gradient` property changes.
///
/// This is how SGHMC gets `grad_x E(x)` for input images without touching parameter
/// gradients: `gradients(of: energy, withRespectTo: [images])[0]`.
///
/// - Parameter retainingGraph: keep the graph for a later backward pass through the same
///   ops (PyTorch's `retain_graph=True`): a step whose loss and SGHMC energy share the
///   forward pass of view a computes it once. Released otherwise.
public func gradients(of output: Tensor, withRespectTo tensors: [Tensor], retainingGraph: Bool = false) -> [Tensor] {
    checkArgument(output.count == 1, "gradients(of:): output has shape \(output.shape); pass a one-element tensor")
    let saved = tensors.map { $0.gradient }
    for tensor in tensors { tensor.gradient = nil }
    output.runBackward(seed: nil, requested: tensors, retainingGraph: retainingGraph)
    let result = tensors.map { $0.gradient ?? Tensor.zeros($0.shape) }
    for (tensor, gradient) in zip(tensors, saved) { tensor.gradient = gradient }
    return result
}

extension Tensor {
    /// The reverse pass. `requested == nil` means every leaf that requires a gradient.
    fileprivate func runBackward(seed: Tensor?, requested: [Tensor]?, retainingGraph: Bool = false) {
        if let seed {
            checkArgument(seed.shape == shape, "backward: seed has shape \(seed.shape), output has shape \(shape)")
        } else {
            checkArgument(count == 1, "backward: output has shape \(shape); pass a seed of that shape or reduce to one element")
        }
        checkArgument(!isGraphReleased,
                     "backward: the graph of this tensor (shape \(shape)) was released by an earlier backward pass; run the forward pass again")
        var order = topologicalOrder()
        let requestedSet = requested.map { Set($0.map(ObjectIdentifier.init)) }
        func isRequested(_ tensor: Tensor) -> Bool {
            if let requestedSet { return requestedSet.contains(ObjectIdentifier(tensor)) }
            return tensor.node == nil && tensor.requiresGradient
        }
        // Mark the leaves, then, inputs before outputs, every recorded tensor on a path to a
        // requested gradient; pullbacks skip the work for inputs that are not marked.
        var leaves: [Tensor] = []
        var seenLeaves = Set<ObjectIdentifier>()
        for tensor in order {
            for input in tensor.node!.inputs where input.node == nil {
                if seenLeaves.insert(ObjectIdentifier(input)).inserted {
                    input.isGradientNeeded = isRequested(input)
                    leaves.append(input)
                }
            }
        }
        for tensor in order {
            tensor.isGradientNeeded = isRequested(tensor)
                || tensor.node!.inputs.contains { $0.isGradientNeeded }
        }
        if node == nil { isGradientNeeded = isRequested(self) }

        if isGradientNeeded {
            let rootGradient = gradientPointer()
            if let seed {
                for index in 0..<count { rootGradient[index] += seed.storage.pointer[index] }
            } else {
                rootGradient[0] += 1
            }
        }
        // Outputs before inputs. Each tensor is let go as soon as its pullback has run, so
        // activations and intermediate gradients are freed during the pass, not after it
        // (unless the graph is retained: then only the intermediate gradients go).
        var pending: [Tensor?] = order
        order.removeAll()
        for position in pending.indices.reversed() {
            let tensor = pending[position]!
            pending[position] = nil
            let node = tensor.node!
            if tensor.isGradientNeeded, let gradient = tensor.gradient {
                node.pullback(tensor, gradient.storage.pointer)
            }
            // Release the saved inputs, the pullback and (unless asked for) the gradient.
            if !retainingGraph {
                tensor.node = nil
                tensor.requiresGradient = false
                tensor.isGraphReleased = true
            }
            if !(requestedSet?.contains(ObjectIdentifier(tensor)) ?? false) {
                tensor.gradient = nil
            }
            tensor.isGradientNeeded = false
        }
        for leaf in leaves { leaf.isGradientNeeded = false }
        isGradientNeeded = false
    }

    /// Recorded tensors reachable from `self`, every tensor after all of its inputs.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative depth-first search: deep networks would overflow a recursive one.
        var stack: [(tensor: Tensor, inputIndex: Int)] = []
        if node != nil {
            stack.append((self, 0))
            visited.insert(ObjectIdentifier(self))
        }
        while let (tensor, inputIndex) = stack.last {
            let inputs = tensor.node!.inputs
            if inputIndex < inputs.count {
                stack[stack.count - 1].inputIndex += 1
                let input = inputs[inputIndex]
                if input.node != nil, visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                stack.removeLast()
                order.append(tensor)
            }
        }
        return order
    }
}
