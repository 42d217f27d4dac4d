import { render } from 'preact';

/** Placeholder for the console (the console-ui branch brings the real one). */
render(<p>Figway console</p>, document.getElementById('app')!);
