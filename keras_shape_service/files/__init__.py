"""Model files a client uploads: a Keras 3 `.keras` archive or a legacy `.h5` file, read by the service's own
reader (never keras.saving.load_model, never unpickled, no link followed): archive.py opens the file at the
edge and hands on its config and its weights file; hdf5.py reads the weights, where Keras runs, along the paths
the planned model names."""
