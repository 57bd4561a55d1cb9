from .gcpolicy import rare_collections

with rare_collections(freeze=True):  # importing the command line (click and mlscan's modules): many objects, no cyclic garbage
    from .cli import main

if __name__ == "__main__":
    main()
