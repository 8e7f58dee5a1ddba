"""What a conversion did, for the CLI's closing block, `--metadata` and Python callers."""

import collections
import dataclasses

from tfjs_export import codec


@dataclasses.dataclass
class ConversionSummary:
    """The facts of one conversion."""

    src: str
    input_format: str
    output_format: str
    out_dir: str
    files: list
    total_bytes: int          # every file written, model.json included
    seconds: float
    notices: list
    tensors: int = 0
    weight_bytes_unquantized: int = 0   # the weights as stored without quantisation
    weight_bytes_written: int = 0
    quantized: dict = dataclasses.field(default_factory=dict)  # dtype -> tensor count
    # Layers: our JS classes the model uses (in tfjs-export-layers.js, written next to model.json)
    js_classes: list = dataclasses.field(default_factory=list)

    def as_dict(self):
        """The summary as JSON-able data (`convert --json`)."""
        return dataclasses.asdict(self)

    def block(self):
        """The short closing report printed by `convert`."""
        quantized = ", ".join(f"{n} {d}" for d, n in sorted(self.quantized.items()))
        saved = self.weight_bytes_unquantized - self.weight_bytes_written
        weights = f"{self.tensors} tensors, {self.weight_bytes_written:,} bytes"
        if quantized:
            weights += (f" ({quantized} quantised; {self.weight_bytes_unquantized:,} bytes unquantised, "
                        f"{saved / max(self.weight_bytes_unquantized, 1):.0%} saved)")
        lines = [f"converted {self.src} ({self.input_format}) -> {self.out_dir} ({self.output_format})",
                 f"  weights  {weights}"]
        if self.output_format.startswith("tfjs_"):
            shards = sum(f.endswith(".bin") for f in self.files)
            output = f"model.json + {shards} shard{'s' * (shards != 1)}"
            if self.js_classes:
                from tfjs_export.converter.writers.layers_js import FILE_NAME
                output += f" + {FILE_NAME}"
                lines += [f"  classes  {', '.join(self.js_classes)} from {FILE_NAME}: load it before the model, "
                          f"in Node `require(dir + '/{FILE_NAME}').register(tf)`, in a page "
                          f"`<script src=\"{FILE_NAME}\">` after tf.min.js"]
        else:  # a Keras file, or a SavedModel directory
            output = self.files[0] if len(self.files) == 1 else f"{len(self.files)} files"
        lines.append(f"  output   {output}, {self.total_bytes:,} bytes, in {self.seconds:.2f} s")
        return "\n".join(lines)


def weight_bytes(spec, array=None):
    """(bytes unquantised, bytes in the shards) of one manifest weight. A string tensor's size is
    in its data, not the manifest: pass its array."""
    if spec["dtype"] == "string":
        size = sum(4 + len(s.encode("utf-8") if isinstance(s, str) else s) for s in array.reshape(-1))
        return size, size
    stored, unquantized = codec.weight_nbytes(spec)  # exact Python ints: a shape cannot wrap around
    return unquantized, stored


def weight_stats(manifest_groups, arrays_by_name=None):
    """(tensors, bytes unquantised, bytes written, {quantisation dtype: count}) of a manifest."""
    tensors = unquantized = written = 0
    quantized = collections.Counter()
    for group in manifest_groups:
        for spec in group["weights"]:
            tensors += 1
            before, after = weight_bytes(spec, (arrays_by_name or {}).get(spec["name"]))
            unquantized += before
            written += after
            if spec.get("quantization"):
                quantized[spec["quantization"]["dtype"]] += 1
    return tensors, unquantized, written, dict(quantized)
