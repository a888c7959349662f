// The public API, same origin: GET requests with the tab's access token (if
// any), answers as JSON, failures as ApiError (the server answered) or
// NetworkError (it did not).

const TOKEN_KEY = 'readout-explorer-token';
const TIMEOUT_MS = 15000;

export class ApiError extends Error {
	constructor(status, problem, retryAfter) {
		super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
		this.name = 'ApiError';
		this.status = status;
		this.problem = problem;
		this.retryAfter = retryAfter;
	}
}

export class NetworkError extends Error {
	constructor(cause) {
		super('The server could not be reached.');
		this.name = 'NetworkError';
		this.cause = cause;
	}
}

// The token kept for this tab only (sessionStorage); null when none.
export const token = {
	get() {
		try {
			return sessionStorage.getItem(TOKEN_KEY);
		} catch {
			return null;
		}
	},
	set(value) {
		sessionStorage.setItem(TOKEN_KEY, value);
		window.dispatchEvent(new Event('explore:token'));
	},
	forget() {
		sessionStorage.removeItem(TOKEN_KEY);
		window.dispatchEvent(new Event('explore:token'));
	},
};

// The query string of params: an object whose array values repeat the key,
// empty values left out.
export function query(params) {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params || {})) {
		for (const one of Array.isArray(v) ? v : [v])
			if (one !== undefined && one !== null && one !== '')
				q.append(k, String(one));
	}
	const s = q.toString();
	return s ? `?${s}` : '';
}

// GET path (under /v1/) with params; resolves to { body, headers }.
export async function get(path, params, signal) {
	const headers = { Accept: 'application/json' };
	const t = token.get();
	if (t)
		headers.Authorization = `Bearer ${t}`;
	const timeout = AbortSignal.timeout(TIMEOUT_MS);
	const both = signal && AbortSignal.any ? AbortSignal.any([signal, timeout]) : signal || timeout;
	let r;
	try {
		r = await fetch(path + query(params), { headers, signal: both, credentials: 'same-origin' });
	} catch (e) {
		if (signal && signal.aborted)
			throw e;
		throw new NetworkError(e);
	}
	let body = null;
	try {
		body = await r.json();
	} catch {
		body = null;
	}
	if (!r.ok)
		throw new ApiError(r.status, body, r.headers.get('Retry-After'));
	return { body, headers: r.headers };
}

// The path segment of an id or slug.
export const ref = (r) => encodeURIComponent(String(r));
