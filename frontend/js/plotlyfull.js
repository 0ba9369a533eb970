// Plotly's full bundle, for the 3-D view: the page starts with plotly.js's cartesian bundle (a
// third of the size, so the first contour comes sooner), which has no 3-D traces. Loaded once,
// when first asked for, after the page's own. Both bundles set window.Plotly: the page's is put
// back in the task that ran the full one (a script runs and fires "load" in one task), so each
// figure keeps the Plotly that drew it and the full one is only used through what this gives.

let loading = null;

// url: the full bundle's (the server gives it to the page); ready: resolves once the page's
// Plotly has loaded. Resolves to the full bundle's Plotly.
export function fullPlotly(url, ready) {
  loading ??= ready.then(() => new Promise((resolve, reject) => {
    const page = window.Plotly;
    const script = document.createElement("script");
    script.src = url;
    script.addEventListener("load", () => {
      const full = window.Plotly;
      window.Plotly = page;
      resolve(full);
    });
    script.addEventListener("error", () => {
      loading = null;
      script.remove();
      reject(new Error("Plotly's 3-D bundle could not be loaded"));
    });
    document.head.append(script);
  }));
  return loading;
}
