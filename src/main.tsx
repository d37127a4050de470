import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Database } from './api/database';
import { App } from './ui/App';
import './ui/app.css';

declare global {
  interface Window {
    /** The console API for power users (and the tests): the same `Database` the UI uses. */
    jammi?: Database;
  }
}

const db = await Database.open();
window.jammi = db;
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App db={db} />
  </StrictMode>,
);
