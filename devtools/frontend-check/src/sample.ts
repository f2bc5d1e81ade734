// A small frontend module, typed by the client openapi-typescript generates from the API's OpenAPI schema.
// The frontend tier type-checks it with the real TypeScript compiler: a schema change that would break a
// frontend (a field renamed or removed, an enum value added, a path or parameter gone) fails the build.
// It is never run; it reads like the code a frontend team writes in its first hour (docs/guides/first-hour.md).
import createClient from "openapi-fetch";
import type { components, paths } from "workspace-api";

type Task = components["schemas"]["Task"];
type TaskStatus = components["schemas"]["TaskStatusEnum"];
type TaskPriority = components["schemas"]["TaskPriorityEnum"];
type Role = components["schemas"]["RoleEnum"];
type ErrorEnvelope = components["schemas"]["ErrorEnvelope"];
type TaskOrdering = NonNullable<paths["/api/v1/tasks"]["get"]["parameters"]["query"]>["ordering"];

const api = createClient<paths>({ baseUrl: "http://localhost:8000" });

/** The error envelope as the UI shows it: one message per field, the rest at the top of the form. */
export class ApiError extends Error {
  readonly fields: Record<string, string> = {};
  readonly codes: string[];

  constructor(envelope: ErrorEnvelope) {
    super(envelope.errors.filter((e) => e.field === null).map((e) => e.message).join(" ") || "Request failed");
    this.codes = envelope.errors.map((e) => e.code);
    for (const error of envelope.errors) {
      if (error.field !== null) this.fields[error.field] = error.message;
    }
  }
}

function failed(error: unknown): never {
  if (typeof error === "object" && error !== null && "errors" in error) throw new ApiError(error as ErrorEnvelope);
  throw new Error("Network or server failure");
}

export async function signIn(email: string, password: string): Promise<string> {
  const { data, error } = await api.POST("/api/v1/auth/login", { body: { email, password } });
  if (error) failed(error);
  if ("mfa_required" in data) throw new Error("This account needs its second factor: POST /auth/login/mfa");
  return data.access;
}

// Every status and priority has a label: a value added to the schema fails here until the UI names it.
const STATUS_LABELS: Record<TaskStatus, string> = { todo: "To do", in_progress: "In progress", done: "Done" };
const PRIORITY_LABELS: Record<TaskPriority, string> = { low: "Low", medium: "Medium", high: "High", urgent: "Urgent" };
const ROLE_LABELS: Record<Role, string> = { owner: "Owner", admin: "Admin", member: "Member", viewer: "Viewer" };

export function describe(task: Task): string {
  const who = task.assignee ? task.assignee.username : "nobody";
  const due = task.due_date ?? "no due date";
  return `${task.title}: ${STATUS_LABELS[task.status]}, ${PRIORITY_LABELS[task.priority]}, ${who}, ${due}`;
}

export function roleLabel(role: Role): string {
  return ROLE_LABELS[role];
}

export async function tasksPage(
  token: string,
  organization: string,
  search: string,
  page = 1,
): Promise<{ tasks: Task[]; total: number; hasNext: boolean }> {
  const ordering: TaskOrdering = ["-priority", "due_date"];
  const { data, error } = await api.GET("/api/v1/tasks", {
    headers: { Authorization: `Bearer ${token}` },
    // Filters of a choice or an id take several values (sent as repeated parameters).
    params: { query: { organization: [organization], status: ["todo", "in_progress"], search, ordering, page, page_size: 50 } },
  });
  if (error) failed(error);
  return { tasks: data.data, total: data.pagination.total, hasNext: data.pagination.has_next };
}

export async function markDone(token: string, id: string): Promise<Task> {
  const { data, error } = await api.PATCH("/api/v1/tasks/{id}", {
    headers: { Authorization: `Bearer ${token}` },
    params: { path: { id } },
    body: { status: "done" },
  });
  if (error) failed(error);
  return data;
}

/** A built report export's file as a plain link: the signed download_url needs no Authorization header. */
export async function exportLink(token: string, exportId: string): Promise<string | null> {
  const { data, error } = await api.GET("/api/v1/reports/exports/{id}", {
    headers: { Authorization: `Bearer ${token}` },
    params: { path: { id: exportId } },
  });
  if (error) failed(error);
  return data.state === "succeeded" ? data.download_url : null;
}
