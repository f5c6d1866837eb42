"""Publishing a project: the champion model, the labelled dataset and the demo Space, each as a
repository laid out as the Hugging Face Hub expects, to the Hub or to local git mirrors."""
