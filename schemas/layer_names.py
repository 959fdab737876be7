"""The built-in Keras layers a spec may name, kept here so schemas needs no TensorFlow.

Left out on purpose: layers that run user code or load files (Lambda, TFSMLayer, JaxLayer, FlaxLayer,
TorchModuleWrapper, the string lookups and TextVectorization, which take vocabulary file paths), abstract
bases (Layer, Wrapper, RNN needs a cell object) and layers that need several inputs, which a Sequential
model cannot feed (merge and attention layers). tests/unit/test_layer_names.py checks every name here is a
real keras.layers class.
"""

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
