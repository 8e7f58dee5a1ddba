"""python_wheel: the pip wheel of tfjs-export, built by Bazel with the same setup.py as `pip wheel .`.

The action copies the declared sources into a scratch directory (setuptools writes build files
beside its sources, and Bazel's inputs are read-only), runs `pip wheel --no-build-isolation
--no-index` there with the configured interpreter (its setuptools, wheel, Cython and numpy are
requirements.lock's), and declares a directory holding the one .whl: a wheel's file name carries
its version and tags, which a fixed output name could not.
"""

def _python_wheel_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    files = ctx.files.srcs
    copies = " && ".join([
        'mkdir -p "$src/$(dirname %s)" && cp "%s" "$src/%s"' % (f.short_path, f.path, f.short_path)
        for f in files
    ])
    ctx.actions.run_shell(
        inputs = files,
        outputs = [out],
        tools = [ctx.executable._python],
        command = " && ".join([
            'scratch=$(mktemp -d) && src="$scratch/src"',
            copies,
            'HOME="$scratch" PIP_CONFIG_FILE=/dev/null "%s" -m pip wheel --quiet --disable-pip-version-check ' % ctx.executable._python.path +
            '--no-build-isolation --no-deps --no-index --no-cache-dir -w "%s" "$src" > "$scratch/log" 2>&1 ' % out.path +
            '|| { cat "$scratch/log" >&2; rm -rf "$scratch"; exit 1; }',
            'rm -rf "$scratch"',
        ]),
        use_default_shell_env = True,  # PATH for the compiler and linker setuptools runs
        mnemonic = "PythonWheel",
        progress_message = "Building the tfjs-export wheel",
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

python_wheel = rule(
    implementation = _python_wheel_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = True, doc = "setup.py, pyproject.toml, README.md and the package files"),
        "_python": attr.label(
            default = Label("@local_config_python//:python"),
            executable = True,
            cfg = "exec",
        ),
    },
    doc = "A directory holding the tfjs-export wheel (tfjs_export-VERSION-TAGS.whl).",
)
