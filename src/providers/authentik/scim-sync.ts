import { UserError } from "../../errors.js";
import { AuthentikApiError, type AuthentikClient } from "./client.js";

/** The permission a token needs to start a task schedule (authentik 2025.8+). */
export const SEND_SCHEDULE_PERMISSION = "authentik_tasks_schedules.send_schedule";

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
    try {
      schedules = await this.client.list<{ id: string; actorName: string }>("/tasks/schedules/", { rel_obj_id: pk, rel_obj_content_type__model: "scimprovider" });
      const schedule = schedules.find((s) => s.actorName.endsWith("scim_sync")) ?? schedules[0];
      if (!schedule) return false;
      await this.client.post(`/tasks/schedules/${schedule.id}/send/`, {});
    } catch (error) {
      if (error instanceof AuthentikApiError && error.status === 404) return false;
      if (error instanceof AuthentikApiError && error.status === 403) {
        // Handled like an authentik without the tasks API, but said: the fix is a permission.
        this.info(
          `warning: the authentik token may not start task schedules (permission ${SEND_SCHEDULE_PERMISSION}), so SCIM provider '${this.providerName}' syncs on authentik's own schedule; grant the permission to the token's user to sync right away`,
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
