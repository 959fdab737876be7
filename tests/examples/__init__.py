"""Real example models as Keras's own pages write them (keras.io examples and guides), one module each: the code
as written (`CODE`, small sizes, every edit from the page marked with a comment), what the test adds to run it
with Keras (`RUN_PRELUDE`, `NOT_RUN`), the variable holding the model (`MODEL`), and a concise spec written by
hand (`CONCISE`) for the few the concise form can say. tests/examples/test_examples.py checks each against Keras."""

from tests.examples import (
    augmented_xception,
    masked_gru,
    mnist_convnet,
    multi_input_output,
    seed,
    seq2seq,
    siamese,
    text_transformer,
    text_transformer_positions,
    timeseries,
    unet,
)

EXAMPLES = {
    module.__name__.rsplit(".", 1)[-1]: module
    for module in (
        seed,
        unet,
        seq2seq,
        timeseries,
        text_transformer,
        text_transformer_positions,
        multi_input_output,
        siamese,
        masked_gru,
        augmented_xception,
        mnist_convnet,
    )
}
