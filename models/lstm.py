"""A small LSTM on daily log returns (torch), trained deterministically with early stopping.

- input: the last `window` standardised log returns; output: the next one; multi-step
  forecasts feed predictions back in (recursive), the price path is the cumulated returns;
- the scaler (mean, sd) is fitted on the training split of the history given to `fit` only,
  the chronologically last `val_fraction` being held out for early stopping;
- fixed seed, one CPU thread, the global torch RNG left untouched; trains on the GPU when
  `device="auto"` finds one (results are bit-identical only on CPU), predicts on CPU;
- intervals: the shared GARCH(1,1) volatility bands (`models.volatility`) around the path.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from models.base import Forecaster
from models.intervals import Bands
from models.volatility import METHOD, volatility_bands


def _build_network(hidden: int, dropout: float):
    import torch
    from torch import nn

    class ReturnLSTM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, batch_first=True)
            self.dropout = nn.Dropout(dropout)
            self.head = nn.Linear(hidden, 1)

        def forward(self, windows: torch.Tensor) -> torch.Tensor:
            output, _ = self.lstm(windows.unsqueeze(-1))
            return self.head(self.dropout(output[:, -1, :])).squeeze(-1)

    return ReturnLSTM()


class LSTMForecaster(Forecaster):
    """One-layer LSTM on standardised log returns; recursive multi-step forecasts."""

    name = "lstm"
    min_history = 80
    interval_method = METHOD
    default_params: ClassVar[dict[str, Any]] = {
        "window": 20,
        "hidden": 16,
        "dropout": 0.0,
        "epochs": 30,
        "patience": 4,
        "batch_size": 64,
        "learning_rate": 3e-3,
        "val_fraction": 0.2,
        "max_train": 750,
        "seed": 0,
        "device": "auto",
    }
    relative_cost = 1.5
    retired_params: ClassVar[frozenset[str]] = frozenset({"interval_window"})

    @property
    def required_history(self) -> int:
        return max(self.min_history, int(self.params["window"]) + 60)

    def _fit(self, series: pd.Series) -> None:
        import torch

        torch.set_num_threads(1)
        returns = self._returns(series)
        n_val = max(int(len(returns) * self.params["val_fraction"]), 10)
        train = returns[:-n_val]
        self._mean, self._sd = float(train.mean()), float(train.std() or 1.0)
        x, y = self._windows((returns - self._mean) / self._sd)
        split = len(x) - n_val
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.params["seed"]))
            self._net = self._train(x[:split], y[:split], x[split:], y[split:])
        self._returns_seen = returns

    def _returns(self, series: pd.Series) -> np.ndarray:
        prices = series.to_numpy()[-int(self.params["max_train"]) :]
        return np.diff(np.log(prices)).astype(np.float32)

    def _windows(self, scaled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        window = int(self.params["window"])
        x = np.lib.stride_tricks.sliding_window_view(scaled[:-1], window)
        return np.ascontiguousarray(x, dtype=np.float32), scaled[window:].astype(np.float32)

    def _device(self) -> str:
        import torch

        wanted = self.params["device"]
        if wanted == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        return wanted

    def _train(self, x_train, y_train, x_val, y_val):
        import torch

        device = self._device()
        net = _build_network(int(self.params["hidden"]), float(self.params["dropout"])).to(device)
        optimiser = torch.optim.Adam(net.parameters(), lr=float(self.params["learning_rate"]))
        xt, yt = torch.from_numpy(x_train).to(device), torch.from_numpy(y_train).to(device)
        xv, yv = torch.from_numpy(x_val).to(device), torch.from_numpy(y_val).to(device)
        generator = torch.Generator().manual_seed(int(self.params["seed"]))
        batch = int(self.params["batch_size"])
        best_loss, best_state, waited = np.inf, None, 0
        for _epoch in range(int(self.params["epochs"])):
            net.train()
            for indices in torch.randperm(len(xt), generator=generator).split(batch):
                indices = indices.to(device)
                optimiser.zero_grad()
                loss = torch.mean((net(xt[indices]) - yt[indices]) ** 2)
                loss.backward()
                optimiser.step()
            net.eval()
            with torch.no_grad():
                val_loss = float(torch.mean((net(xv) - yv) ** 2))
            if val_loss < best_loss - 1e-6:
                best_loss, waited = val_loss, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                waited += 1
                if waited >= int(self.params["patience"]):
                    break
        net.load_state_dict(best_state)
        self.epochs_trained = _epoch + 1
        return net.cpu().eval()

    def _update(self, series: pd.Series) -> None:
        # Same weights and scaler; only the inputs move forward.
        self._returns_seen = self._returns(series)

    def _recursive_paths(self, windows: np.ndarray, horizon: int) -> np.ndarray:
        """Cumulated predicted log returns, shape (n_windows, horizon), from scaled windows."""
        import torch

        torch.set_num_threads(1)
        current = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32))
        steps = []
        with torch.no_grad():
            for _ in range(horizon):
                nxt = self._net(current)
                steps.append(nxt.numpy())
                current = torch.cat([current[:, 1:], nxt.unsqueeze(-1)], dim=1)
        returns = np.stack(steps, axis=1) * self._sd + self._mean
        return np.cumsum(returns, axis=1)

    def _predict(self, horizon: int) -> Bands:
        window = int(self.params["window"])
        scaled = (self._returns_seen - self._mean) / self._sd
        path = self._recursive_paths(scaled[-window:][None, :], horizon)[0]
        last_log = float(np.log(self.history.iloc[-1]))
        return volatility_bands(last_log + path, self.history.to_numpy())

    def _save_state(self, path) -> None:
        import torch

        state = {k: v for k, v in self.__dict__.items() if k not in ("params", "_net")}
        state["net_weights"] = self._net.state_dict()
        torch.save(state, path / "lstm.pt")

    def _load_state(self, path) -> None:
        import torch

        state = torch.load(path / "lstm.pt", map_location="cpu", weights_only=False)
        self._net = _build_network(int(self.params["hidden"]), float(self.params["dropout"]))
        self._net.load_state_dict(state.pop("net_weights"))
        self._net.eval()
        self.__dict__.update(state)
