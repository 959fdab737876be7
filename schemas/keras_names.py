"""The built-in Keras objects a spec may name, kept here so that schemas and the guards need no TensorFlow.

tests/unit/test_keras_names.py checks every name against the installed Keras (pinned in requirements.txt).

Left out of the layers on purpose: layers that run user code or load files (Lambda, TFSMLayer, JaxLayer,
FlaxLayer, TorchModuleWrapper, the string lookups and TextVectorization, which take vocabulary file paths),
abstract bases (Layer, Wrapper, RNN needs a cell object) and layers that need several inputs, which a
Sequential model cannot feed (merge and attention layers).
"""
from typing import Optional

ALLOWED_LAYER_TYPES: tuple[str, ...] = (
    "Activation", "ActivityRegularization", "AlphaDropout",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "BatchNormalization", "Bidirectional", "CategoryEncoding", "CenterCrop",
    "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
    "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
    "Convolution1D", "Convolution1DTranspose", "Convolution2D", "Convolution2DTranspose",
    "Convolution3D", "Convolution3DTranspose",
    "Cropping1D", "Cropping2D", "Cropping3D",
    "Dense", "DepthwiseConv1D", "DepthwiseConv2D", "Discretization", "Dropout", "ELU", "EinsumDense",
    "Embedding", "Flatten", "GRU", "GaussianDropout", "GaussianNoise",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GroupNormalization", "Identity", "LSTM", "LayerNormalization", "LeakyReLU", "Masking",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "Normalization", "PReLU", "Permute", "RMSNormalization", "ReLU", "RepeatVector", "Rescaling",
    "Reshape", "Resizing", "SeparableConv1D", "SeparableConv2D",
    "SeparableConvolution1D", "SeparableConvolution2D", "SimpleRNN", "Softmax",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "TimeDistributed", "UnitNormalization",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
)

# Cells are not layers of a Sequential model, but may appear nested inside an allowed layer's config.
NESTED_ONLY_LAYER_TYPES: tuple[str, ...] = ("SimpleRNNCell", "LSTMCell", "GRUCell")

# The public classes of keras.initializers, keras.regularizers and keras.constraints (aliases included).
INITIALIZERS: tuple[str, ...] = (
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "IdentityInitializer",
    "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "OrthogonalInitializer", "RandomNormal",
    "RandomUniform", "STFT", "STFTInitializer", "TruncatedNormal", "VarianceScaling", "Zeros", "constant",
    "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity", "lecun_normal", "lecun_uniform",
    "ones", "orthogonal", "random_normal", "random_uniform", "stft", "truncated_normal", "variance_scaling",
    "zeros",
)
REGULARIZERS: tuple[str, ...] = ("L1", "L1L2", "L2", "OrthogonalRegularizer", "l1", "l1_l2", "l2",
                                 "orthogonal_regularizer")
CONSTRAINTS: tuple[str, ...] = ("MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm", "min_max_norm",
                                "non_neg", "unit_norm")
DTYPE_POLICIES: tuple[str, ...] = ("DTypePolicy", "FloatDTypePolicy")

# Every function of keras.activations but its (de)serialization helpers.
ACTIVATIONS: tuple[str, ...] = (
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu",
    "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
    "sparsemax", "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
)

# Serialized objects name a module and a class; these are the modules whose built-ins a spec may use.
ALLOWED_OBJECTS: dict[str, frozenset[str]] = {
    "keras.layers": frozenset(ALLOWED_LAYER_TYPES + NESTED_ONLY_LAYER_TYPES),
    "keras.initializers": frozenset(INITIALIZERS),
    "keras.regularizers": frozenset(REGULARIZERS),
    "keras.constraints": frozenset(CONSTRAINTS),
    "keras": frozenset(DTYPE_POLICIES),
    "keras.dtype_policies": frozenset(DTYPE_POLICIES),
}


def is_builtin_registration(registered_name: Optional[str], class_name: Optional[str]) -> bool:
    """Keras writes null for its built-ins; any other name than the class's own resolves through the
    custom-object registry, which a spec must never reach."""
    return registered_name is None or registered_name == class_name
