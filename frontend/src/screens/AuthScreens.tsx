/** Log in and sign up. */

import { useState, type FormEvent } from "react";

import { ApiError, ensureCsrf, errorMessage } from "../api/client";
import { auth } from "../api/resources";
import type { Me } from "../api/types";
import { Link } from "../app/router";

function AuthFrame({ title, subtitle, children }: { title: string; subtitle: string; children: React.ReactNode }) {
  return (
    <div className="auth-page">
      <div className="auth-card">
        <div className="auth-brand">
          <svg width="34" height="34" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="#5b5bd6" />
            <rect x="7" y="8" width="7" height="16" rx="2" fill="white" />
            <rect x="18" y="8" width="7" height="10" rx="2" fill="white" />
          </svg>
          <span>Corkboard</span>
        </div>
        <h1>{title}</h1>
        <p className="muted">{subtitle}</p>
        {children}
      </div>
    </div>
  );
}

function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.fieldMessage(field) : undefined;
}

export function LoginScreen({ onDone }: { onDone: (me: Me) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await ensureCsrf();
      await auth.login(username.trim(), password);
      await ensureCsrf(true);
      onDone(await auth.me());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthFrame title="Welcome back" subtitle="Log in to see your boards.">
      <form onSubmit={submit} className="form" data-testid="login-form">
        <label className="field">
          <span>Username</span>
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            autoFocus
            data-testid="login-username"
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            data-testid="login-password"
          />
        </label>
        {error !== null && (
          <p className="form-error" role="alert" data-testid="form-error">
            {errorMessage(error)}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy} data-testid="login-submit">
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
      <p className="auth-switch">
        New here? <Link to="/signup">Create an account</Link>
      </p>
    </AuthFrame>
  );
}

export function SignupScreen({ onDone }: { onDone: (me: Me) => void }) {
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await ensureCsrf();
      await auth.signup(username.trim(), email.trim(), password);
      await ensureCsrf(true);
      let me: Me;
      try {
        me = await auth.me();
      } catch {
        // Signup may not log in by itself: do it now.
        await auth.login(username.trim(), password);
        await ensureCsrf(true);
        me = await auth.me();
      }
      onDone(me);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const general = error instanceof ApiError && error.detail ? error.message : error ? errorMessage(error) : null;
  return (
    <AuthFrame title="Create your account" subtitle="Boards your whole team sees change live.">
      <form onSubmit={submit} className="form" data-testid="signup-form">
        <label className="field">
          <span>Username</span>
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            autoFocus
            data-testid="signup-username"
          />
          {fieldError(error, "username") && <small className="field-error">{fieldError(error, "username")}</small>}
        </label>
        <label className="field">
          <span>Email</span>
          <input
            name="email"
            type="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
            data-testid="signup-email"
          />
          {fieldError(error, "email") && <small className="field-error">{fieldError(error, "email")}</small>}
        </label>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            minLength={8}
            data-testid="signup-password"
          />
          {fieldError(error, "password") && <small className="field-error">{fieldError(error, "password")}</small>}
        </label>
        {general && (
          <p className="form-error" role="alert" data-testid="form-error">
            {general}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy} data-testid="signup-submit">
          {busy ? "Creating…" : "Sign up"}
        </button>
      </form>
      <p className="auth-switch">
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </AuthFrame>
  );
}
