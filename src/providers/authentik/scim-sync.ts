import { UserError } from "../../errors.js";
import { AuthentikApiError, type AuthentikClient } from "./client.js";

/**
 * Why a token that is no superuser cannot start a full sync. authentik's
 * `POST /tasks/schedules/{id}/send/` (authentik/tasks/schedules/api.py, 2025.8 on) checks
 * `authentik_tasks_schedules.send_schedule` and then, through get_object() on a POST, DRF's
 * object permission `add_schedule`, which the Schedule model does not define: no role can
 * hold it, so only superusers may send (403, or 404 in 2025.10). A least-privilege token
 * relies instead on the full sync authentik starts whenever the SCIM provider is saved, and
 * on `POST /providers/scim/{id}/sync/object/` (view_ and add_scimprovider) for one group.
 */
export const SEND_SCHEDULE_REFUSED =
  "authentik lets only superusers start a task schedule (POST /tasks/schedules/{id}/send/ also needs authentik_tasks_schedules.add_schedule, which no role can hold; granting send_schedule does not help)";

/**
 * Starting authentik's SCIM sync for one provider. authentik has no provider-level
 * "sync now" action; the provider's task schedule does a full sync (users first,
 * then groups and memberships). A sync of a single group is the fallback where the
 * tasks API is missing or the token may not use it.
 */
export class ScimSync {
  private full: Promise<boolean> | undefined;

  constructor(
    private readonly client: AuthentikClient,
    private readonly providerName: string,
    /** The provider's pk, read when needed: it may be created earlier in the same apply. */
    private readonly providerPk: () => string | undefined,
    private readonly info: (message: string) => void,
  ) {}

  /** A full sync, started at most once per apply. false: authentik offers none to this token. */
  startFullSync(): Promise<boolean> {
    this.full ??= this.sendSchedule();
    return this.full;
  }

  get fullSyncStarted(): boolean {
    return this.full !== undefined;
  }

  private async sendSchedule(): Promise<boolean> {
    const pk = this.pk();
    let schedules: { id: string; actorName: string }[];
    let found = false;
    try {
      schedules = await this.client.list<{ id: string; actorName: string }>("/tasks/schedules/", { rel_obj_id: pk, rel_obj_content_type__model: "scimprovider" });
      const schedule = schedules.find((s) => s.actorName.endsWith("scim_sync")) ?? schedules[0];
      if (!schedule) return false;
      found = true;
      await this.client.post(`/tasks/schedules/${schedule.id}/send/`, {});
    } catch (error) {
      // No tasks API (before 2025.8): nothing to say. A schedule listed but not sent (404 in
      // 2025.10, 403 later), or no view_schedule at all (403): the token's user is no superuser.
      if (error instanceof AuthentikApiError && error.status === 404 && !found) return false;
      if (error instanceof AuthentikApiError && (error.status === 403 || error.status === 404)) {
        this.info(
          `warning: ${SEND_SCHEDULE_REFUSED}, and this token's user is none, so the tool does not start a full sync of SCIM provider '${this.providerName}': ` +
            "it relies on the sync authentik starts when the provider is saved and on authentik's own schedule, and syncs each group it waits for one by one (POST /providers/scim/{id}/sync/object/)",
        );
        return false;
      }
      throw error;
    }
    this.info(`started authentik's SCIM sync of provider '${this.providerName}'`);
    return true;
  }

  /** Syncs one group (and its members) right away. */
  async syncGroup(name: string, groupPk: string | undefined): Promise<void> {
    const pk = this.pk();
    if (!groupPk) throw new AuthentikSyncError(`cannot ask authentik to sync group '${name}': authentik has no such group`);
    await this.client.post(`/providers/scim/${pk}/sync/object/`, { syncObjectModel: "authentik.core.models.Group", syncObjectId: groupPk });
    this.info(`asked authentik to sync group '${name}' through SCIM`);
  }

  private pk(): string {
    const pk = this.providerPk();
    if (!pk) throw new AuthentikSyncError(`the SCIM provider '${this.providerName}' does not exist in authentik yet`);
    return pk;
  }
}

export class AuthentikSyncError extends UserError {
  override readonly name = "AuthentikSyncError";
}
