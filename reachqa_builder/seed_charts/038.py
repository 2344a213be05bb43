import matplotlib.pyplot as plt
import numpy as np

# Correlations between daily average concentrations of air pollutants and
# weather variables at an urban monitoring station (one year of data).
variables = ["PM2.5", "PM10", "NO2", "O3", "SO2", "CO", "Temp.", "Wind"]
corr = np.array([
    [1.00, 0.88, 0.62, -0.21, 0.41, 0.70, -0.30, -0.52],
    [0.88, 1.00, 0.58, -0.12, 0.38, 0.61, -0.18, -0.44],
    [0.62, 0.58, 1.00, -0.47, 0.45, 0.73, -0.35, -0.58],
    [-0.21, -0.12, -0.47, 1.00, -0.10, -0.39, 0.66, 0.28],
    [0.41, 0.38, 0.45, -0.10, 1.00, 0.44, -0.22, -0.31],
    [0.70, 0.61, 0.73, -0.39, 0.44, 1.00, -0.41, -0.49],
    [-0.30, -0.18, -0.35, 0.66, -0.22, -0.41, 1.00, 0.12],
    [-0.52, -0.44, -0.58, 0.28, -0.31, -0.49, 0.12, 1.00],
])

fig, ax = plt.subplots(figsize=(9, 8))
mask = np.triu(np.ones_like(corr, dtype=bool), k=1)
shown = np.ma.masked_where(mask, corr)
mesh = ax.imshow(shown, cmap="RdBu_r", vmin=-1, vmax=1)

for i in range(len(variables)):
    for j in range(i + 1):
        value = corr[i, j]
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=10,
                color="white" if abs(value) > 0.6 else "black")

ax.set_xticks(np.arange(len(variables)))
ax.set_xticklabels(variables, rotation=45, ha="right")
ax.set_yticks(np.arange(len(variables)))
ax.set_yticklabels(variables)
ax.spines[:].set_visible(False)
fig.colorbar(mesh, ax=ax, shrink=0.8, label="Pearson correlation")
ax.set_title("Air Pollutant and Weather Correlations, City Centre Station", fontsize=14, fontweight="bold")

plt.tight_layout()
plt.show()
