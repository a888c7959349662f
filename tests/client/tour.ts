// The README's curl tour, through a client generated from schema/openapi.json
// (openapi-typescript types, openapi-fetch calls). It must compile under
// `strict` with text fields used as strings, and, run against readoutd
// started with --sample-data (READOUT_URL, READOUT_TOKEN), every answer must
// be the one the types promise. Prints one line per check and
// "N passed, M failed"; exits 1 when anything failed. Run through run.sh.
import createClient from "openapi-fetch";
import type { components, paths } from "./api.js";

type Meeting = components["schemas"]["Meeting"];
type MeetingSummary = components["schemas"]["MeetingSummary"];
type Problem = components["schemas"]["Problem"];

const baseUrl = process.env["READOUT_URL"] ?? "http://127.0.0.1:8080";
const token = process.env["READOUT_TOKEN"] ?? "";
// The lists also answer text/csv (format=csv): this client reads JSON, so
// its responses are typed by their JSON content alone (problem+json too).
const api = createClient<paths, `${string}/${string}json`>({ baseUrl });

const SAMPLE_SLUG =
	"2024-04-26-president-xi-jinping-meets-u-s-secretary-of-state-antony-blinken";

let passed = 0;
let failed = 0;
function check(what: string, ok: boolean, detail?: unknown): void {
	if (ok) {
		passed++;
		console.log(`ok - ${what}`);
	} else {
		failed++;
		console.log(`not ok - ${what}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
	}
}

// Text fields are strings (or null): string methods compile on them.
function describe(m: MeetingSummary): string {
	const where = [m.location, m.city].filter((s): s is string => s !== null).join(", ");
	return `${m.date} ${m.title.slice(0, 40)} (${where || "somewhere"}): ${m.summary?.slice(0, 40) ?? "-"}`;
}

function readoutStart(m: Meeting): string {
	return m.readout?.slice(0, 60) ?? "";
}

async function main(): Promise<void> {
	// Meetings, newest first (summaries: no readout text).
	const list = await api.GET("/v1/meetings");
	check("GET /v1/meetings is 200 with the three sample meetings",
		list.response.status === 200 && list.data?.data.length === 3, list.error);
	for (const m of list.data?.data ?? []) console.log(`    ${describe(m)}`);
	check("summaries carry no readout", (list.data?.data ?? []).every((m) => !("readout" in m)));

	// One meeting, whole, by slug or by id.
	const bySlug = await api.GET("/v1/meetings/{ref}", { params: { path: { ref: SAMPLE_SLUG } } });
	const meeting = bySlug.data;
	check("GET /v1/meetings/{slug} is 200 with a readout text",
		bySlug.response.status === 200 && meeting !== undefined && readoutStart(meeting).length > 0,
		bySlug.error);
	if (meeting) {
		console.log(`    ${readoutStart(meeting)}...`);
		const participants = meeting.participants.map((p) => `${p.name} (${p.title?.slice(0, 30) ?? "-"})`);
		check("the meeting lists its participants by name", participants.length >= 2, participants);
		const quotes = meeting.principles.map((p) => p.quote?.toLowerCase() ?? "");
		check("the meeting's principles carry quotes as text", quotes.some((q) => q.length > 0), quotes);
		const etag = bySlug.response.headers.get("ETag");
		const again = await api.GET("/v1/meetings/{ref}", {
			params: { path: { ref: SAMPLE_SLUG }, header: { "If-None-Match": etag ?? "" } },
		});
		check("If-None-Match with its ETag is 304", again.response.status === 304);
		const byId = await api.GET("/v1/meetings/{ref}", { params: { path: { ref: String(meeting.id) } } });
		check("GET /v1/meetings/{id} answers the same meeting",
			byId.response.status === 200 && byId.data?.slug === meeting.slug, byId.error);
	}

	// Every invocation of a principle, oldest first.
	const timeline = await api.GET("/v1/principles/{ref}/timeline", {
		params: { path: { ref: "peaceful-coexistence" } },
	});
	const entries = timeline.data?.data ?? [];
	check("GET /v1/principles/peaceful-coexistence/timeline has entries",
		timeline.response.status === 200 && entries.length > 0, timeline.error);
	for (const e of entries)
		console.log(`    ${e.meeting.date} ${e.stance} by ${e.invoked_by?.name ?? "-"}: ${e.quote?.slice(0, 50) ?? "-"}`);

	// People are found by name or alias: the readout's headline spells "Anthony".
	const people = await api.GET("/v1/participants", { params: { query: { q: "Anthony Blinken" } } });
	const blinken = people.data?.data[0];
	check("GET /v1/participants?q=Anthony Blinken finds antony-blinken",
		blinken?.slug === "antony-blinken", people.data ?? people.error);
	if (blinken) {
		console.log(`    ${blinken.name}, ${blinken.title?.slice(0, 40) ?? "-"}; aliases ${blinken.aliases.join(", ")}`);
		const attended = await api.GET("/v1/participants/{ref}/meetings", {
			params: { path: { ref: blinken.slug } },
		});
		check("GET /v1/participants/antony-blinken/meetings lists the meetings with a role",
			attended.response.status === 200 && (attended.data?.data ?? []).every((m) => m.role.length > 0),
			attended.error);
	}

	// Meetings attended by both, in 2024.
	const both = await api.GET("/v1/meetings", {
		params: { query: { participant: ["xi-jinping", "joe-biden"], from: "2024-01-01", count: true } },
	});
	check("GET /v1/meetings?participant=...&participant=...&from= is 200",
		both.response.status === 200 && typeof both.data?.total === "number", both.error);

	// Ranked full-text search.
	const hits = await api.GET("/v1/search", { params: { query: { q: "peaceful coexistence" } } });
	const first = hits.data?.data[0];
	check("GET /v1/search?q=peaceful coexistence finds a match with a <mark> snippet",
		first !== undefined && first.snippet.includes("<mark>"), hits.data ?? hits.error);
	for (const h of hits.data?.data ?? []) console.log(`    ${h.type} ${h.slug}: ${h.snippet.slice(0, 50)}`);

	// Writes need the token.
	const body: components["schemas"]["MeetingInput"] = {
		title: "Wang Yi speaks with Antony Blinken by phone",
		date: "2024-06-01",
		kind: "phone_call",
		participants: [{ slug: "wang-yi" }, { slug: "antony-blinken" }],
		principles: [{ slug: "one-china-policy", stance: "cited", invoked_by: "wang-yi" }],
		related: [{ slug: SAMPLE_SLUG, relation: "follows_up" }],
	};
	const anonymous = await api.POST("/v1/meetings", { body });
	const refused: Problem | undefined = anonymous.error;
	check("POST /v1/meetings without the token is 401 problem+json",
		anonymous.response.status === 401 && refused?.type === "urn:readout:problem:unauthorized", refused);
	const created = await api.POST("/v1/meetings", {
		body,
		headers: { Authorization: `Bearer ${token}` },
	});
	check("POST /v1/meetings with the token is 201",
		created.response.status === 201 && created.data?.title.startsWith("Wang Yi") === true, created.error);
	check("the new meeting has no readout (null)", created.data?.readout === null, created.data?.readout);

	// A refused body lists every problem with a JSON pointer.
	const bad = await api.POST("/v1/meetings", {
		// @ts-expect-error "lunch" is not a MeetingKind: the types refuse it too.
		body: { title: "x", date: "2024-02-30", kind: "lunch" },
		headers: { Authorization: `Bearer ${token}` },
	});
	const pointers = (bad.error?.errors ?? []).map((e) => e.pointer);
	check("a bad body is 422 with a pointer per problem",
		bad.response.status === 422 && pointers.includes("/date") && pointers.includes("/kind"), bad.error);

	console.log(`${passed} passed, ${failed} failed`);
	process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
	console.error(err);
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exitCode = 1;
});
