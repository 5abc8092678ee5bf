"""The build-pipeline tools, client side: our HTTP client, chunk-id injection, upload,
stack-trace parsing. They talk to the service only over HTTP and import nothing of it
(only the engine, the container format and ``symbols.files``)."""
