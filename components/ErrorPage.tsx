/** The page people see when something is missing or broken: a sentence and a way back. */

export function ErrorPage(props: { status: number; message: string }) {
  const heading = props.status === 404
    ? "Page not found"
    : props.status >= 500
    ? "Something went wrong"
    : props.status === 429
    ? "Slow down a little"
    : "That didn't work";
  return (
    <main class="center-page">
      <div class="card narrow">
        <p class="muted small">Error {props.status}</p>
        <h1>{heading}</h1>
        <p>{props.message}</p>
        <p>
          <a class="button" href="/">Back to Sextant</a>
        </p>
      </div>
    </main>
  );
}
