import matplotlib.pyplot as plt
import numpy as np

# A catalogue of 150 confirmed exoplanets: orbital period, planet radius and
# equilibrium temperature in three dimensions, coloured by detection method.
rng = np.random.default_rng(99)
methods = {
    "Transit": (80, 1.2, 0.45, "#3a86ff"),
    "Radial velocity": (50, 2.4, 0.5, "#ff006e"),
    "Direct imaging": (20, 4.3, 0.35, "#fb5607"),
}

fig = plt.figure(figsize=(11, 8))
ax = fig.add_subplot(projection="3d")
for method, (n, log_period_mean, spread, color) in methods.items():
    log_period = rng.normal(log_period_mean, spread * 1.5, n)
    radius = np.clip(rng.lognormal(np.log(2.5 + log_period_mean), 0.6, n), 0.5, 22)
    temperature = 1500 * (10 ** log_period) ** (-1 / 3) + rng.normal(0, 60, n)
    ax.scatter(log_period, radius, np.clip(temperature, 40, 2500), s=20 + radius * 6,
               color=color, alpha=0.7, edgecolor="black", linewidth=0.3, label=method)

ax.set_xlabel("Orbital period (log10 days)", labelpad=10)
ax.set_ylabel("Radius (Earth radii)", labelpad=10)
ax.set_zlabel("Equilibrium temperature (K)", labelpad=10)
ax.set_title("Exoplanet Catalogue: Period, Size and Temperature", fontsize=15, fontweight="bold")
ax.view_init(elev=22, azim=-58)
ax.legend(title="Detection method", loc="upper left")

fig.subplots_adjust(left=0.02, right=0.95, bottom=0.05, top=0.93)
plt.show()
