"""Media help for the browser tools: numpy, PyAV, OpenCV and scikit-image on
images, video, audio and point clouds (no web or database imports)."""
