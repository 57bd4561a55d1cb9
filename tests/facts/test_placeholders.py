"""Placeholder bodies (``stub``) and generated input (``synthetic``): the facts detectors mark findings with."""

from __future__ import annotations

import ast

import pytest
from mlscan.facts.placeholders import placeholder_script, placeholder_shell, placeholder_value, stub_function, synthetic_source


def _fn(src: str) -> ast.AST:
    return ast.parse(src).body[0]


@pytest.mark.parametrize("src", [
    "def f():\n    pass\n",
    "def f():\n    ...\n",
    'def f():\n    """Train the model."""\n',
    "def f(x):\n    raise NotImplementedError\n",
    "def f(x):\n    print('deploying')\n    raise NotImplementedError('later')\n",
    "def handler(event):\n    logger.info('called')\n    return {'status': 'ok', 'code': 200}\n",
    "async def f():\n    return None\n",
])
def test_stub_bodies(src: str) -> None:
    assert stub_function(_fn(src))


@pytest.mark.parametrize("src", [
    "def f(x):\n    return x\n",
    "def f(df):\n    model.fit(df)\n",
    "def f():\n    raise ValueError('bad metric')\n",  # a check that fails the run is work
    "def handler(event):\n    return {'prediction': model.predict(event)}\n",
    "class F:\n    pass\n",
])
def test_working_bodies(src: str) -> None:
    assert not stub_function(_fn(src))


@pytest.mark.parametrize(("src", "want"), [
    ("X, y = make_classification(n_samples=100)\nmodel.fit(X, y)\n", "make_classification"),
    ("reference = pd.DataFrame(np.random.normal(0, 1, (10, 3)))\n", "random.normal"),
    ("rng = np.random.default_rng(0)\ntrain_data = rng.normal(size=10)\n", "rng.normal"),
    ("inputs = torch.randn(8, 3)\n", "torch.randn"),
    ("dataset = FakeData(size=100)\n", "FakeData"),
    ("np.random.seed(42)\ndf = mock_data(1000)\n", "mock_data"),  # a project helper named for made-up data
    ("train_df = utils.generate_synthetic_transactions(500)\n", "generate_synthetic_transactions"),
])
def test_synthetic_sources(src: str, want: str) -> None:
    assert synthetic_source(ast.parse(src)) == want


@pytest.mark.parametrize("src", [
    "df = pd.read_csv('data/train.csv')\nnoise = np.random.normal(0, 1, len(df))\nX = df.values\n",  # real data, noise added
    "np.random.seed(0)\nidx = np.random.permutation(10)\n",  # seeding and shuffling
    "weights = torch.randn(3, 3)\n",  # not data
    "X, y = load_data()\nX_aug = X + np.random.normal(0, 0.1, X.shape)\n",  # reads through a loader
    "iris = datasets.load_iris(as_frame=True).frame\nreference = iris\n",  # a bundled dataset is real unless asked for
    "data = MagicMock()\n",  # a test double names no data
    "df = mock_server_response()\n",  # mocked, but not named for data
])
def test_not_synthetic(src: str) -> None:
    assert synthetic_source(ast.parse(src)) == ""


def test_bundled_toy_data_counts_when_asked() -> None:
    tree = ast.parse("iris_frame = datasets.load_iris(as_frame=True).frame\n")
    assert synthetic_source(tree, toy=True) == "load_iris"


@pytest.mark.parametrize(("src", "stub"), [
    # FastAPI: the model endpoint answers a constant; the health check's constant is what it should be
    ('@app.get("/health")\ndef health():\n    return {"status": "ok"}\n'
     '@app.post("/predict")\ndef predict(x: dict):\n    return {"prediction": 0}\n', True),
    ('@app.post("/predict")\ndef predict(x: dict):\n    return {"prediction": model.predict([x])[0]}\n', False),
    # Flask route and a BentoML service method
    ('@bp.route("/score", methods=["POST"])\ndef score():\n    print("scoring")\n    return "0.5"\n', True),
    ('@bentoml.service\nclass Iris:\n    @bentoml.api\n    def classify(self, x):\n        return 0\n', True),
    ('@bentoml.service\nclass Iris:\n    @bentoml.api\n    def classify(self, x):\n        return self.model.predict(x)\n', False),
    # only health and metadata pages: no model endpoint to judge
    ('@app.get("/")\ndef root():\n    return {"name": "api"}\n@app.get("/ready")\ndef ready():\n    return True\n', False),
    # an undecorated helper is not an endpoint; a decorator named api on a bare name is not a route
    ('def predict(x):\n    return 0\n@api\ndef run():\n    return 1\n', False),
])
def test_stub_endpoints(src: str, stub: bool) -> None:
    from mlscan.facts.placeholders import stub_endpoints

    assert stub_endpoints(ast.parse(src)) is stub


@pytest.mark.parametrize(("value", "placeholder"), [
    ("gdrive://<folder-id>", True), ("s3://<bucket>/dvc", True), ("s3://your-bucket/dvc", True), ("gs://YOUR_BUCKET/x", True),
    ("azure://TODO/dvc", True), ("s3://changeme", True), ("s3://${DVC_BUCKET}/store", True), ("s3://my-bucket/dvc", True),
    ("s3://dvc-public/remote/get-started", False), ("gs://churn-ml-artifacts/dvc", False), ("https://dagshub.com/acme/churn.dvc", False),
    ("s3://yourcompany-ml/dvc", False), ("ssh://ci@10.0.0.5/srv/dvc", False),
])
def test_placeholder_values(value: str, placeholder: bool) -> None:
    assert placeholder_value(value) is placeholder


@pytest.mark.parametrize(("script", "placeholder"), [
    ('mkdir --parents $(dirname "$1") && echo "Hello, $0!" > "$1"', True), ("echo done > $0", True), ("touch /tmp/out; sleep 5", True),
    ("python train.py --out $0", False), ("mkdir -p out && trainer --epochs 3", False),
])
def test_placeholder_shell(script: str, placeholder: bool) -> None:
    assert placeholder_shell(script) is placeholder


@pytest.mark.parametrize(("src", "placeholder"), [
    ("import argparse, os\n\ndef train(inp, out):\n    with open(inp) as f:\n        data = f.read()\n"
     "    os.makedirs(os.path.dirname(out), exist_ok=True)\n    with open(out, 'w') as f:\n        f.write(f'Trained model with {data}')\n\n"
     "if __name__ == '__main__':\n    p = argparse.ArgumentParser()\n    p.add_argument('--out')\n    a = p.parse_args()\n    train(a.out, a.out)\n", True),
    ("import json\n\nwith open('metrics.json', 'w') as f:\n    json.dump({'accuracy': 0.9}, f)\n", True),
    ("import pandas as pd\n\ndf = pd.read_csv('x.csv')\ndf.to_parquet('y.parquet')\n", False),
    ("import json\nfrom sklearn.linear_model import LogisticRegression\n\nm = LogisticRegression()\n", False),
    ("import os\n\ndef train(x):\n    return fit_model(x)\n", False),
    ("import os\n", False),
])
def test_placeholder_scripts(src: str, placeholder: bool) -> None:
    assert placeholder_script(ast.parse(src)) is placeholder
