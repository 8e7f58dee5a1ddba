"""`--custom_objects` file for the wild corpus: registers the custom layers of the keras.io
examples (tools/testing/wild_models.py) in a fresh converter process (tools/compare_graph.py)."""

import wild_models  # this file's directory is first on sys.path while it runs

wild_models.custom_classes()
