import Basics
import TensorCore

/// A Vision Transformer (Dosovitskiy et al. 2021) as timm's `VisionTransformer` with
/// `class_token=True, global_pool='token', num_classes=0`: images [N, C, H, W] -> the class
/// token's features [N, width] after the final LayerNorm (SPEC §1's backbone f, the paper's
/// Table 10).
///
///     patches (p x p, a strided convolution) -> [class token, patches] + position embeddings
///     -> depth x pre-norm blocks: x + attn(norm1(x)), then x + mlp(norm2(x))
///     -> norm -> the class token
///
/// Tensor names and shapes are timm's (`cls_token` [1, 1, D], `pos_embed` [1, 1 + P, D],
/// `patch_embed.proj.weight` [D, C, p, p], `blocks.0.attn.qkv.weight` [3 D, D], ...,
/// `norm.weight`), so a checkpoint loads into `timm.models.vision_transformer.VisionTransformer(
/// img_size, patch_size, in_chans, num_classes=0, embed_dim, depth, num_heads)` by name.
///
/// Initialised as timm's default (`init_weights_vit_timm`): linear weights and `pos_embed`
/// truncated normal with std 0.02, biases 0, `cls_token` N(0, 1e-6^2), LayerNorms 1 and 0;
/// the patch convolution as PyTorch's `Conv2d` default (weight and bias uniform in
/// +-1/sqrt(C p p)), which is what timm leaves it at.
public final class VisionTransformer: Backbone {
    /// The named sizes of the paper's Table 10 (ViT-Ti/S/B of DeiT and timm): width x depth x heads.
    public enum Variant: String, Sendable, Codable, CaseIterable {
        case tiny, small, base

        /// Embedding width D: 192, 384, 768.
        public var width: Int {
            switch self {
            case .tiny: 192
            case .small: 384
            case .base: 768
            }
        }

        /// Transformer blocks: 12 for all three.
        public var depth: Int { 12 }

        /// Attention heads: 3, 6, 12 (64 channels each).
        public var heads: Int {
            switch self {
            case .tiny: 3
            case .small: 6
            case .base: 12
            }
        }
    }

    /// Embedding width D (`embed_dim`).
    public let width: Int
    public let heads: Int
    /// Side p of the square patches (`patch_size`).
    public let patchSize: Int
    public let inputChannels: Int
    /// Tokens per image: 1 + (H / p)(W / p).
    public let tokens: Int
    /// `patch_embed.proj.weight` [D, C, p, p] and `patch_embed.proj.bias` [D].
    public let patchWeight: Tensor
    public let patchBias: Tensor
    /// `cls_token` [1, 1, D].
    public let classToken: Tensor
    /// `pos_embed` [1, tokens, D].
    public let positionEmbedding: Tensor
    public let blocks: [TransformerBlock]
    /// `norm`, the final LayerNorm.
    public let norm: LayerNorm

    /// The features are the class token's: D.
    public var featureSize: Int { width }

    /// A ViT of `variant`'s sizes for images of `inputChannels` x `imageHeight` x `imageWidth`.
    public convenience init(variant: Variant, patchSize: Int, inputChannels: Int, imageHeight: Int, imageWidth: Int,
                            generator: inout SeededGenerator) {
        self.init(width: variant.width, depth: variant.depth, heads: variant.heads, patchSize: patchSize,
                  inputChannels: inputChannels, imageHeight: imageHeight, imageWidth: imageWidth, generator: &generator)
    }

    /// A ViT of any size; the MLP's hidden layer is 4 width (`mlp_ratio=4`).
    public init(width: Int, depth: Int, heads: Int, patchSize: Int, inputChannels: Int,
                imageHeight: Int, imageWidth: Int, generator: inout SeededGenerator) {
        checkArgument(width > 0 && depth > 0 && heads > 0 && width % heads == 0,
                     "VisionTransformer: width \(width) must be a positive multiple of heads \(heads), depth \(depth) positive")
        checkArgument(patchSize > 0 && imageHeight % patchSize == 0 && imageWidth % patchSize == 0,
                     "VisionTransformer: \(imageHeight)x\(imageWidth) images do not divide into \(patchSize)x\(patchSize) patches")
        self.width = width
        self.heads = heads
        self.patchSize = patchSize
        self.inputChannels = inputChannels
        tokens = 1 + (imageHeight / patchSize) * (imageWidth / patchSize)
        let fanIn = inputChannels * patchSize * patchSize
        let bound = 1 / Float(fanIn).squareRoot()
        patchWeight = .randomUniform([width, inputChannels, patchSize, patchSize], lower: -bound, upper: bound,
                                     generator: &generator, requiresGradient: true)
        patchBias = .randomUniform([width], lower: -bound, upper: bound, generator: &generator, requiresGradient: true)
        classToken = .randomNormal([1, 1, width], standardDeviation: 1e-6, generator: &generator, requiresGradient: true)
        positionEmbedding = truncatedNormal([1, tokens, width], standardDeviation: 0.02, generator: &generator)
        var blocks: [TransformerBlock] = []
        for _ in 0..<depth {
            blocks.append(TransformerBlock(width: width, heads: heads, tokens: tokens, generator: &generator))
        }
        self.blocks = blocks
        norm = LayerNorm(width: width)
    }

    /// The class token's features [N, width] of images [N, inputChannels, H, W]. `mode` is
    /// ignored: a ViT has no batch statistics.
    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        checkArgument(input.rank == 4 && input.shape[1] == inputChannels,
                     "VisionTransformer: input has shape \(input.shape), expected [N, \(inputChannels), H, W]")
        checkArgument((input.shape[2] / patchSize) * (input.shape[3] / patchSize) + 1 == tokens,
                     "VisionTransformer: input has shape \(input.shape), built for \(tokens - 1) patches of \(patchSize)x\(patchSize)")
        let patchRows = input.patches(size: patchSize)
        let embedded = rowParallelLinear(patchRows, weight: patchWeight.reshaped([width, -1]), bias: patchBias)
        var x = tokenSequence(patchEmbeddings: embedded, classToken: classToken, positionEmbedding: positionEmbedding)
        for block in blocks { x = block(x, mode: mode) }
        // LayerNorm works row by row: normalising the class tokens alone gives the same features.
        return norm(x.tokenRows(0, tokens: tokens), mode: mode)
    }

    public var namedParameters: [NamedTensor] {
        [NamedTensor("cls_token", classToken), NamedTensor("pos_embed", positionEmbedding),
         NamedTensor("patch_embed.proj.weight", patchWeight), NamedTensor("patch_embed.proj.bias", patchBias)]
            + blocks.enumerated().flatMap { index, block in block.namedParameters.map { $0.prefixed("blocks.\(index)") } }
            + norm.namedParameters.map { $0.prefixed("norm") }
    }

    public var namedBuffers: [NamedTensor] { [] }
}

/// timm's ViT `Block`, pre-norm: `x = x + attn(norm1(x))`, then `x = x + mlp(norm2(x))`, on
/// the rows [N tokens, width] of N token sequences.
public final class TransformerBlock: Layer {
    public let norm1: LayerNorm
    public let attention: SelfAttention
    public let norm2: LayerNorm
    /// `mlp.fc1` (width -> 4 width), GELU, `mlp.fc2` (4 width -> width).
    public let fc1: Linear
    public let fc2: Linear

    public init(width: Int, heads: Int, tokens: Int, mlpRatio: Int = 4, generator: inout SeededGenerator) {
        norm1 = LayerNorm(width: width)
        attention = SelfAttention(width: width, heads: heads, tokens: tokens, generator: &generator)
        norm2 = LayerNorm(width: width)
        fc1 = Linear(inputSize: width, outputSize: mlpRatio * width, initialization: .truncatedNormal(standardDeviation: 0.02),
                     splitsRows: true, generator: &generator)
        fc2 = Linear(inputSize: mlpRatio * width, outputSize: width, initialization: .truncatedNormal(standardDeviation: 0.02),
                     splitsRows: true, generator: &generator)
    }

    /// [N tokens, width] -> [N tokens, width].
    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        let x = input + attention(norm1(input, mode: mode), mode: mode)
        return x + fc2(fc1(norm2(x, mode: mode), mode: mode).gelu(), mode: mode)
    }

    public var namedParameters: [NamedTensor] {
        norm1.namedParameters.map { $0.prefixed("norm1") } + attention.namedParameters.map { $0.prefixed("attn") }
            + norm2.namedParameters.map { $0.prefixed("norm2") } + fc1.namedParameters.map { $0.prefixed("mlp.fc1") }
            + fc2.namedParameters.map { $0.prefixed("mlp.fc2") }
    }

    public var namedBuffers: [NamedTensor] { [] }
}

/// timm's ViT `Attention`: `proj(multiHeadAttention(qkv(x)))` on the rows [N tokens, width]
/// of N token sequences; `qkv` is width -> 3 width, `proj` width -> width, both with bias.
public final class SelfAttention: Layer {
    public let qkv: Linear
    public let projection: Linear
    public let heads: Int
    public let tokens: Int

    public init(width: Int, heads: Int, tokens: Int, generator: inout SeededGenerator) {
        qkv = Linear(inputSize: width, outputSize: 3 * width, initialization: .truncatedNormal(standardDeviation: 0.02),
                     splitsRows: true, generator: &generator)
        projection = Linear(inputSize: width, outputSize: width, initialization: .truncatedNormal(standardDeviation: 0.02),
                            splitsRows: true, generator: &generator)
        self.heads = heads
        self.tokens = tokens
    }

    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        projection(multiHeadAttention(qkv(input, mode: mode), tokens: tokens, heads: heads), mode: mode)
    }

    public var namedParameters: [NamedTensor] {
        qkv.namedParameters.map { $0.prefixed("qkv") } + projection.namedParameters.map { $0.prefixed("proj") }
    }

    public var namedBuffers: [NamedTensor] { [] }
}

/// Layer normalisation over the last axis with a learned affine map, PyTorch's `nn.LayerNorm`
/// (timm's ViT: epsilon 1e-6). Scale (`weight`) starts at 1, offset (`bias`) at 0.
public final class LayerNorm: Layer {
    public let scale: Tensor
    public let offset: Tensor
    public let epsilon: Float

    public init(width: Int, epsilon: Float = 1e-6) {
        checkArgument(width > 0, "LayerNorm: width (\(width)) must be positive")
        scale = Tensor(shape: [width], repeating: 1, requiresGradient: true)
        offset = Tensor(shape: [width], repeating: 0, requiresGradient: true)
        self.epsilon = epsilon
    }

    public func callAsFunction(_ input: Tensor, mode: ForwardMode) -> Tensor {
        layerNormalized(input, scale: scale, offset: offset, epsilon: epsilon)
    }

    public var namedParameters: [NamedTensor] {
        [NamedTensor("weight", scale), NamedTensor("bias", offset)]
    }

    public var namedBuffers: [NamedTensor] { [] }
}
