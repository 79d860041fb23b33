"""Install script for tf_contrib_bayesflow."""
import pathlib

import setuptools

_HERE = pathlib.Path(__file__).parent

setuptools.setup(
    name="tf_contrib_bayesflow",
    version="0.1.0",
    description=(
        "The removed tf.contrib.bayesflow of TensorFlow 1, rebuilt on "
        "TensorFlow 2 and TensorFlow Probability."
    ),
    long_description=(_HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    packages=setuptools.find_packages(include=["tf_contrib_bayesflow", "tf_contrib_bayesflow.*"]),
    python_requires=">=3.9",
    install_requires=[
        "tensorflow>=2.16",
        "tensorflow-probability>=0.24",
        # TFP cannot be imported without the Keras 2 package.
        "tf-keras>=2.16",
        "numpy>=1.23",
        # TFP 0.25 imports distutils, which only setuptools provides on Python >= 3.12.
        "setuptools",
    ],
    extras_require={
        # Optional: with tf-slim installed, install() also aliases tf.contrib.slim / .layers.
        "slim": ["tf-slim>=1.1"],
        "test": ["pytest>=7", "hypothesis>=6", "tf-slim>=1.1"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: Apache Software License",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
