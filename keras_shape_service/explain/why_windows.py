"""Why convolutions and pooling give their shapes: the output-size formula of each spatial axis, with padding,
stride and dilation substituted ("(28 - 3) / 1 + 1 = 26"). A rule whose sizes do not come out as Keras's
planned shape says nothing (None), and the layer gets the generic sentence instead."""

from typing import Any, Optional

from keras_shape_service.facts import LayerFacts, Shape, shape_text

from .why_params import dims


def _per_axis(value: Any, rank: int, default: int = 1) -> tuple[int, ...]:
    if value is None:
        return (default,) * rank
    return tuple(int(v) for v in value) if isinstance(value, (list, tuple)) else (int(value),) * rank


def _spatial(f: LayerFacts, shape: Shape) -> tuple[Shape, Optional[int]]:
    """(spatial axes, channels) of a tensor in the layer's data_format."""
    if f.config.get("data_format") == "channels_first":
        return shape[2:], shape[1]
    return shape[1:-1], shape[-1]


def axis_size(size: Optional[int], kernel: int, stride: int, dilation: int, padding: str) -> tuple[str, Optional[int]]:
    """One spatial axis through a sliding window: the formula as text, and the size it gives."""
    if size is None:
        return "None (a variable axis stays variable)", None
    if padding in ("same", "causal"):
        out = -(-size // stride)
        return f"ceil({size} / {stride}) = {out}", out
    span = dilation * (kernel - 1) + 1
    out = (size - span) // stride + 1
    dilated = f" (dilated window {dilation} x ({kernel} - 1) + 1 = {span})" if dilation > 1 else ""
    if (size - span) % stride:
        return f"floor(({size} - {span}) / {stride}) + 1 = {out}{dilated}", out
    return f"({size} - {span}) / {stride} + 1 = {out}{dilated}", out


def _transposed_size(size: Optional[int], kernel: int, stride: int, padding: str) -> tuple[str, Optional[int]]:
    """Keras's deconv_output_length without output_padding."""
    if size is None:
        return "None (a variable axis stays variable)", None
    if padding == "same":
        return f"{size} x {stride} = {size * stride}", size * stride
    out = size * stride + max(kernel - stride, 0)
    return f"{size} x {stride} + max({kernel} - {stride}, 0) = {out}", out


def _axes_text(
    f: LayerFacts, window: tuple[int, ...], strides: tuple[int, ...], transposed: bool = False
) -> Optional[str]:
    """Each spatial axis's formula, or None if one does not give the planned size."""
    spatial_in, _ = _spatial(f, f.input_shape)
    spatial_out, _ = _spatial(f, f.output_shape)
    padding = str(f.config.get("padding", "valid")).lower()
    dilations = _per_axis(f.config.get("dilation_rate"), len(window))
    texts = []
    for size, kernel, stride, dilation, planned in zip(spatial_in, window, strides, dilations, spatial_out):
        text, out = (
            _transposed_size(size, kernel, stride, padding)
            if transposed
            else axis_size(size, kernel, stride, dilation, padding)
        )
        if out != planned:
            return None
        texts.append(text)
    return "; ".join(texts) if len(texts) == len(spatial_in) == len(spatial_out) else None


def _spatial_axes(count: int) -> str:
    return "the spatial axis" if count == 1 else f"the {count} spatial axes"


def convolution(f: LayerFacts) -> Optional[str]:
    """Conv*, Conv*Transpose, DepthwiseConv*, SeparableConv*: the window, each axis's size, the channels."""
    spatial_in, channels = _spatial(f, f.input_shape)
    window = _per_axis(f.config.get("kernel_size"), len(spatial_in))
    strides = _per_axis(f.config.get("strides"), len(window))
    transposed = "Transpose" in f.class_name
    if transposed and f.config.get("output_padding") is not None:
        return None
    axes = _axes_text(f, window, strides, transposed)
    if axes is None:
        return None
    _, channels_out = _spatial(f, f.output_shape)
    if transposed:
        mixing = f"the {channels} channels of each input position spread to {channels_out} filters"
    elif "Depthwise" in f.class_name:
        mixing = (
            f"each of the {channels} channels is convolved on its own, depth_multiplier "
            f"{f.config.get('depth_multiplier', 1)} giving {channels_out} channels"
        )
    else:
        mixing = f"at each position the {dims(window)} x {channels} values give {channels_out} filters"
    padding = str(f.config.get("padding", "valid")).lower()
    verb = "spreads each value over" if transposed else "slides"
    return (
        f"{f.class_name} {verb} a {dims(window)} window (strides {dims(strides)}, padding '{padding}') along "
        f"{_spatial_axes(len(window))}: {axes}; {mixing}, so {shape_text(f.input_shape)} -> "
        f"{shape_text(f.output_shape)}"
    )


def pooling(f: LayerFacts) -> Optional[str]:
    """MaxPooling* / AveragePooling*: each axis's size from the window; the channels pass through."""
    spatial_in, _ = _spatial(f, f.input_shape)
    window = _per_axis(f.config.get("pool_size"), len(spatial_in), 2)
    strides = _per_axis(f.config.get("strides"), len(window)) if f.config.get("strides") is not None else window
    axes = _axes_text(f, window, strides)
    if axes is None:
        return None
    what = "the max" if "Max" in f.class_name else "the average"
    padding = str(f.config.get("padding", "valid")).lower()
    return (
        f"{f.class_name} takes {what} of each {dims(window)} window (strides {dims(strides)}, padding "
        f"'{padding}'): {axes}; the channels pass through, so {shape_text(f.input_shape)} -> "
        f"{shape_text(f.output_shape)}"
    )


def global_pooling(f: LayerFacts) -> Optional[str]:
    """Global*Pooling*: every spatial position reduced to one, per channel."""
    spatial_in, channels = _spatial(f, f.input_shape)
    what = "the max" if "Max" in f.class_name else "the average"
    kept = ", keeping those axes as 1 (keepdims)" if f.config.get("keepdims") else ""
    return (
        f"{f.class_name} takes {what} over the {dims(spatial_in)} positions of each of the {channels} "
        f"channels{kept}: {shape_text(f.input_shape)} -> {shape_text(f.output_shape)}"
    )
