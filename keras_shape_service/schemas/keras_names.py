"""The built-in Keras objects a spec may name, kept here so that schemas and the guards need no TensorFlow.

tests/unit/test_keras_names.py checks every name against the installed Keras (pinned in pyproject.toml).

Left out of the layers on purpose: layers that run user code or load files (Lambda, TFSMLayer, JaxLayer,
FlaxLayer, TorchModuleWrapper, the string lookups and TextVectorization, which take vocabulary file paths) and
abstract bases (Layer, Wrapper, RNN needs a cell object). Merge and attention layers take several inputs: a
graph model (the concise graph form, a Functional document) feeds them.
"""

from typing import Optional

ALLOWED_LAYER_TYPES: tuple[str, ...] = (
    "Activation",
    "ActivityRegularization",
    "AlphaDropout",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "BatchNormalization",
    "Bidirectional",
    "CategoryEncoding",
    "CenterCrop",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Discretization",
    "Dropout",
    "ELU",
    "EinsumDense",
    "Embedding",
    "Flatten",
    "GRU",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GroupNormalization",
    "Identity",
    "LSTM",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "Normalization",
    "PReLU",
    "Permute",
    "RMSNormalization",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "Resizing",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "SimpleRNN",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    # several inputs
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
    "Dot",
    "Attention",
    "AdditiveAttention",
    "MultiHeadAttention",
    "GroupQueryAttention",
    # preprocessing and augmentation layers that are identities at inference (INFERENCE_IDENTITY_LAYER_TYPES)
    "AugMix",
    "CutMix",
    "MixUp",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
)
# Augmentation layers that change nothing when predicting (training=False): the answer notes that they do
# nothing there. Left out: RandomCrop (it crops or resizes at inference, to a shape its own shape inference
# does not report), and AutoContrast, Equalization, Solarization, which change values at inference too.
# tests/unit/test_op_nodes.py calls each on an image with training=False and sees it unchanged.
INFERENCE_IDENTITY_LAYER_TYPES: tuple[str, ...] = ALLOWED_LAYER_TYPES[ALLOWED_LAYER_TYPES.index("AugMix") :]
# Layers fed their inputs as separate arguments, layer(query, value), not as one list.
SEPARATE_INPUT_LAYER_TYPES: tuple[str, ...] = ("MultiHeadAttention", "GroupQueryAttention")
# keras.ops operations Keras 3 records as nodes of a Functional graph (Python operators on symbolic tensors,
# Embedding's mask, the hard-swish of keras.applications), as to_json writes them: class name -> module,
# and the shape rule each follows (explain/why.py says it; tests/unit/test_op_nodes.py checks it against
# Keras). The service builds only these, by its own table, never by importing the module a document names:
# "broadcast": two operands (a tensor, or a number) broadcast to one shape, NumPy's rule;
# "elementwise": one operand, one value at a time, the shape kept;
# "reduce": the `axis` in its config removed (kept as 1 with keepdims);
# "matmul": the last axis of the first against the second-to-last of the second.
OPERATIONS: dict[str, tuple[str, str]] = {
    **{
        name: ("keras.src.ops.numpy", "broadcast")
        for name in (
            "Add",
            "Subtract",
            "Multiply",
            "Divide",
            "TrueDivide",
            "FloorDivide",
            "Mod",
            "Power",
            "Maximum",
            "Minimum",
            "Equal",
            "NotEqual",
            "Less",
            "LessEqual",
            "Greater",
            "GreaterEqual",
            "LogicalAnd",
            "LogicalOr",
            "LogicalXor",
        )
    },
    **{
        name: ("keras.src.ops.numpy", "elementwise")
        for name in ("Negative", "Absolute", "Abs", "LogicalNot", "Square", "Sqrt", "Exp", "Log", "Tanh")
    },
    **{
        name: ("keras.src.ops.nn", "elementwise")
        for name in ("Relu", "Relu6", "Sigmoid", "HardSigmoid", "HardSilu", "Silu", "Gelu", "Softplus", "Elu")
    },
    **{name: ("keras.src.ops.numpy", "reduce") for name in ("Mean", "Sum", "Max", "Min")},
    "Matmul": ("keras.src.ops.numpy", "matmul"),
    # keras.ops.cast: a comparison's true/false back to numbers (its dtype one of REAL_DTYPES)
    "Cast": ("keras.src.ops.core", "elementwise"),
}
# The arguments an operation takes besides `name` (Keras writes them in the node's config); none for the others.
OPERATION_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "Gelu": ("approximate",),
    "Elu": ("alpha",),
    "Mean": ("axis", "keepdims"),
    "Sum": ("axis", "keepdims"),
    "Max": ("axis", "keepdims", "initial"),
    "Min": ("axis", "keepdims", "initial"),
    "Cast": ("dtype",),
}
# keras.applications' own layers (not in keras.layers) the service builds when a to_json document holds them,
# by module and class name, with the arguments each takes; any other layer of keras.applications is refused
# with the network to ask for by name instead (APPLICATIONS_BY_MODULE).
APPLICATION_INTERNAL_LAYERS: dict[tuple[str, str], tuple[str, ...]] = {
    ("keras.src.applications.convnext", "LayerScale"): ("init_values", "projection_dim"),
}
APPLICATIONS_BY_MODULE: dict[str, tuple[str, ...]] = {
    "keras.src.applications.convnext": (
        "ConvNeXtTiny",
        "ConvNeXtSmall",
        "ConvNeXtBase",
        "ConvNeXtLarge",
        "ConvNeXtXLarge",
    ),
    "keras.src.applications.inception_resnet_v2": ("InceptionResNetV2",),
}
# Models a document may nest as layers.
MODEL_CLASSES: tuple[str, ...] = ("Sequential", "Functional")

# Each network's model.layers with its default arguments (include_top and pooling change it by 1 or 2), so that
# a limit on layers refuses it before it is built. Building them all takes minutes, so they are checked against
# Keras by scripts/check_applications.py when Keras changes; tests/unit/test_keras_names.py fails until the
# table is checked against the installed Keras, the version below.
APPLICATION_LAYERS_KERAS_VERSION = "3.15.1"
APPLICATION_LAYERS: dict[str, int] = {
    "ConvNeXtBase": 261,
    "ConvNeXtLarge": 261,
    "ConvNeXtSmall": 261,
    "ConvNeXtTiny": 135,
    "ConvNeXtXLarge": 261,
    "DenseNet121": 429,
    "DenseNet169": 597,
    "DenseNet201": 709,
    "EfficientNetB0": 240,
    "EfficientNetB1": 342,
    "EfficientNetB2": 342,
    "EfficientNetB3": 387,
    "EfficientNetB4": 477,
    "EfficientNetB5": 579,
    "EfficientNetB6": 669,
    "EfficientNetB7": 816,
    "EfficientNetV2B0": 273,
    "EfficientNetV2B1": 337,
    "EfficientNetV2B2": 352,
    "EfficientNetV2B3": 412,
    "EfficientNetV2L": 1031,
    "EfficientNetV2M": 743,
    "EfficientNetV2S": 516,
    "InceptionResNetV2": 782,
    "InceptionV3": 313,
    "MobileNet": 91,
    "MobileNetV2": 156,
    "MobileNetV3Large": 194,
    "MobileNetV3Small": 164,
    "NASNetLarge": 1041,
    "NASNetMobile": 771,
    "ResNet101": 347,
    "ResNet101V2": 379,
    "ResNet152": 517,
    "ResNet152V2": 566,
    "ResNet50": 177,
    "ResNet50V2": 192,
    "VGG16": 23,
    "VGG19": 26,
    "Xception": 134,
}

# keras.applications, built by name (weights=None: never downloaded).
APPLICATIONS: tuple[str, ...] = tuple(APPLICATION_LAYERS)

# The dtypes an input's tensor may hold: real numbers only.
REAL_DTYPES: tuple[str, ...] = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
)
# Mixed precision policies: a layer's dtype may name one (it computes in the first, keeps weights in float32),
# a tensor's may not (Keras: "Invalid dtype: mixed_bfloat16").
MIXED_DTYPE_POLICIES: tuple[str, ...] = ("mixed_float16", "mixed_bfloat16")

# Cells are not layers of a Sequential model, but may appear nested inside an allowed layer's config.
NESTED_ONLY_LAYER_TYPES: tuple[str, ...] = ("SimpleRNNCell", "LSTMCell", "GRUCell")

# The public classes of keras.initializers, keras.regularizers and keras.constraints (aliases included).
INITIALIZERS: tuple[str, ...] = (
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "STFT",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "constant",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
)
REGULARIZERS: tuple[str, ...] = (
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
)
CONSTRAINTS: tuple[str, ...] = (
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "unit_norm",
)
DTYPE_POLICIES: tuple[str, ...] = ("DTypePolicy", "FloatDTypePolicy")

# Every function of keras.activations but its (de)serialization helpers.
ACTIVATIONS: tuple[str, ...] = (
    "celu",
    "elu",
    "exponential",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
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
