import { EntityManager, type FilterQuery, LockMode, ReferenceKind, raw } from '@mikro-orm/postgresql';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { assertCanChange, ownerFilter, type Principal } from '../auth/principal';
import { NotFound } from '../common/errors';
import { claimIdempotencyKey, completeIdempotencyKey, idempotencyClaim } from '../common/idempotency';
import { PeriodicTasks } from '../common/periodic-tasks';
import { Deployment } from './deployment.entity';
import type { CreateDeploymentDto, DeploymentQueryDto, ProgramInputDto } from './dto/deployment.dto';
import type { AssemblerLanguage } from './languages';
import { ProgramValidator } from './program-validator';
import type { CutSummary } from '../quantum';
import { QuantumProgram } from './quantum-program.entity';
import { isUuid } from '../common/uuid';

/** A program as a list shows it: everything but its text, and the text's size. */
export interface ProgramSummary {
  id: string;
  position: number;
  assemblerLanguage: AssemblerLanguage;
  /** Size of the program text in bytes (UTF-8). */
  sizeBytes: number;
}

/** A deployment as a list shows it: its programs as summaries. */
export interface DeploymentSummary {
  id: string;
  name: string;
  revision: number;
  deployedBy: string | null;
  deployedAt: Date;
  programs: ProgramSummary[];
}

interface ProgramSummaryRow {
  id: string;
  deployment_id: string;
  position: number;
  assembler_language: AssemblerLanguage;
  /** bigint or int from the driver, depending on the type octet_length answers (int4). */
  size_bytes: number | string;
}

/** How often each process deletes program rows nothing refers to any more (see deleteUnusedPrograms). */
export const UNUSED_PROGRAMS_SWEEP_MS = 10 * 60_000;

@Injectable()
export class DeploymentsService implements OnModuleInit {
  private readonly logger = new Logger(DeploymentsService.name);

  constructor(
    private readonly em: EntityManager,
    private readonly validator: ProgramValidator,
    private readonly periodic: PeriodicTasks,
  ) {}

  /**
   * A replaced program that jobs still ran outlives the PUT; once the last of those jobs is deleted,
   * nothing refers to it. This task deletes such rows.
   */
  onModuleInit(): void {
    this.periodic.every('unused programs', UNUSED_PROGRAMS_SWEEP_MS, async () => {
      const deleted = await this.deleteUnusedPrograms();
      if (deleted > 0) this.logger.log(`deleted ${deleted} program rows that no deployment, job or result refers to`);
    });
  }

  /**
   * A page of the deployments the user may see, each with summaries of its programs: the program
   * texts are not read from the database (their size comes from octet_length, which PostgreSQL
   * answers from the stored value's header without decompressing it).
   */
  async list(user: Principal, q: DeploymentQueryDto): Promise<[DeploymentSummary[], number]> {
    const where: FilterQuery<Deployment> = {
      ...ownerFilter(user, 'deployedBy'),
      ...(q.name && { name: { $ilike: `%${q.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%` } }),
    };
    const [deployments, total] = await this.em.findAndCount(Deployment, where, {
      orderBy: { deployedAt: 'desc', id: 'desc' },
      limit: q.limit,
      offset: q.offset,
    });
    const programs = new Map<string, ProgramSummary[]>(deployments.map((d) => [d.id, []]));
    if (deployments.length > 0) {
      const rows = await this.em
        .createQueryBuilder(QuantumProgram, 'p')
        .select([
          'p.id',
          'p.deployment',
          'p.position',
          'p.assemblerLanguage',
          raw('octet_length(p.quantum_circuit) as size_bytes'),
        ])
        .where({ deployment: { $in: [...programs.keys()] } })
        .orderBy({ position: 'asc' })
        .execute<ProgramSummaryRow[]>('all', false);
      for (const r of rows) {
        programs.get(r.deployment_id)?.push({
          id: r.id,
          position: r.position,
          assemblerLanguage: r.assembler_language,
          sizeBytes: Number(r.size_bytes),
        });
      }
    }
    const summaries = deployments.map((d) => ({
      id: d.id,
      name: d.name,
      revision: d.revision,
      deployedBy: d.deployedBy ?? null,
      deployedAt: d.deployedAt,
      programs: programs.get(d.id)!,
    }));
    return [summaries, total];
  }

  /** 404 unless the user may see the deployment; reads only its id (not its programs). */
  async assertVisible(user: Principal, id: string): Promise<void> {
    const visible = isUuid(id) && (await this.em.count(Deployment, { id, ...ownerFilter(user, 'deployedBy') })) > 0;
    if (!visible) throw new NotFound('deployment', id);
  }

  /**
   * The circuit cut of a job's `cutToWidth` planned for each program (in an engine thread): null for
   * a program no wider than the width; a 422 naming `cutToWidth` when one cannot be cut to it.
   */
  planCuts(programs: QuantumProgram[], width: number, observables?: string[]): Promise<(CutSummary | null)[]> {
    return this.validator.planCuts(programs, width, observables);
  }

  /**
   * A deployment the user may see, with its current programs, or 404 (also for one they may not see,
   * so that ids do not leak). With `lock`, its row is locked (FOR SHARE or FOR UPDATE, in `em`'s
   * transaction) before the programs are read: a job submitted with `share` records exactly the
   * programs that are current while a PUT or DELETE (which take `update`) waits for it, or after.
   */
  async get(
    user: Principal,
    id: string,
    em: EntityManager = this.em,
    opts: { lock?: 'share' | 'update' } = {},
  ): Promise<Deployment> {
    const lockMode =
      opts.lock === 'share'
        ? LockMode.PESSIMISTIC_READ
        : opts.lock === 'update'
          ? LockMode.PESSIMISTIC_WRITE
          : undefined;
    const deployment = isUuid(id)
      ? await em.findOne(Deployment, { id, ...ownerFilter(user, 'deployedBy') }, lockMode ? { lockMode } : {})
      : null;
    if (!deployment) throw new NotFound('deployment', id);
    await em.populate(deployment, ['programs']);
    return deployment;
  }

  /**
   * Several deployments for the jobs about to run them (JobsService's group commit of submissions):
   * read FOR SHARE in `em`'s transaction, in id order, with their programs (two queries in all).
   * Who may see each is the caller's check (`canSee` of its `deployedBy`), since the batch mixes users.
   */
  async lockForJobs(ids: string[], em: EntityManager): Promise<Map<string, Deployment>> {
    const valid = [...new Set(ids.filter(isUuid))].sort();
    if (valid.length === 0) return new Map();
    const found = await em.find(
      Deployment,
      { id: { $in: valid } },
      { lockMode: LockMode.PESSIMISTIC_READ, orderBy: { id: 'asc' } },
    );
    if (found.length > 0) await em.populate(found, ['programs']);
    return new Map(found.map((d) => [d.id, d]));
  }

  /**
   * With `idempotencyKey`, the key is claimed first in the transaction (common/idempotency.ts): a
   * replay answers the deployment the first request created (as it is now), a racing one waits for it.
   */
  async create(user: Principal, dto: CreateDeploymentDto, idempotencyKey?: string): Promise<Deployment> {
    await this.validator.validate(dto.programs, user);
    const claim = idempotencyClaim(user.userId, 'deployments', idempotencyKey, dto);
    if (!claim) {
      const deployment = this.newDeployment(user, dto, this.em);
      await this.em.flush();
      return deployment;
    }
    return this.em.transactional(async (em) => {
      const first = await claimIdempotencyKey(em, claim);
      if (first !== null) return this.get(user, first, em);
      const deployment = this.newDeployment(user, dto, em);
      await em.flush();
      await completeIdempotencyKey(em, claim, deployment.id);
      return deployment;
    });
  }

  private newDeployment(user: Principal, dto: CreateDeploymentDto, em: EntityManager): Deployment {
    const deployment = em.create(Deployment, {
      name: dto.name,
      deployedBy: user.userId,
      deployedAt: new Date(),
      revision: 1,
    });
    this.addPrograms(deployment, dto.programs, em);
    return deployment;
  }

  /**
   * Replaces name and programs: the programs of the next revision become the current ones; the old
   * rows are detached, never changed, and stay while a job or result refers to them (the others are
   * deleted at once). Jobs run, and keep the results of, the programs they were submitted with.
   */
  async update(user: Principal, id: string, dto: CreateDeploymentDto): Promise<Deployment> {
    assertCanChange(user, (await this.get(user, id)).deployedBy, 'deployment', id, 'replace');
    await this.validator.validate(dto.programs, user);
    return this.em.transactional(async (em) => {
      const deployment = await this.get(user, id, em, { lock: 'update' });
      assertCanChange(user, deployment.deployedBy, 'deployment', id, 'replace');
      const old = deployment.programs.getItems();
      deployment.name = dto.name;
      deployment.revision += 1;
      deployment.programs.remove(old);
      for (const program of old) program.deployment = null;
      this.addPrograms(deployment, dto.programs, em);
      await em.flush();
      await this.deleteUnusedPrograms(
        em,
        old.map((p) => p.id),
      );
      return deployment;
    });
  }

  /** Deletes a deployment; its jobs stay (deployment null) with their programs and results. */
  async delete(user: Principal, id: string): Promise<void> {
    assertCanChange(user, (await this.get(user, id)).deployedBy, 'deployment', id, 'delete');
    await this.em.transactional(async (em) => {
      const deployment = await this.get(user, id, em, { lock: 'update' });
      assertCanChange(user, deployment.deployedBy, 'deployment', id, 'delete');
      const programIds = deployment.programs.getItems().map((p) => p.id);
      await em.remove(deployment).flush();
      await this.deleteUnusedPrograms(em, programIds);
    });
  }

  /**
   * Deletes the program rows (of `ids`, or all) that belong to no deployment and that no row refers
   * to: no job runs them, no result or transient state names them. The referring tables come from the
   * model (every many-to-one to QuantumProgram), so a new one is respected without a change here; the
   * job's link also restricts the delete in the database. Answers how many were deleted.
   */
  async deleteUnusedPrograms(em: EntityManager = this.em.fork(), ids?: string[]): Promise<number> {
    if (ids?.length === 0) return 0;
    const programs = em.getMetadata(QuantumProgram);
    const references = [...em.getMetadata().getAll().values()].flatMap((meta) =>
      Object.values(meta.properties)
        .filter(
          (prop) =>
            (prop.kind === ReferenceKind.MANY_TO_ONE || prop.kind === ReferenceKind.ONE_TO_ONE) &&
            prop.owner !== false &&
            prop.fieldNames?.length === 1 &&
            prop.targetMeta?.className === programs.className,
        )
        .map((prop) => `not exists (select 1 from "${meta.tableName}" r where r."${prop.fieldNames[0]}" = p."id")`),
    );
    const where = [
      `p."deployment_id" is null`,
      ...(ids ? [`p."id" in (${ids.map(() => '?').join(', ')})`] : []),
      ...references,
    ];
    const res = await em
      .getConnection()
      .execute<{ affectedRows?: number }>(
        `delete from "${programs.tableName}" p where ${where.join(' and ')}`,
        ids ?? [],
        'run',
        em.getTransactionContext(),
      );
    return res.affectedRows ?? 0;
  }

  private addPrograms(deployment: Deployment, programs: ProgramInputDto[], em: EntityManager = this.em): void {
    programs.forEach((p, position) => {
      deployment.programs.add(
        em.create(QuantumProgram, {
          deployment,
          revision: deployment.revision,
          position,
          quantumCircuit: p.quantumCircuit,
          assemblerLanguage: p.assemblerLanguage,
        }),
      );
    });
  }
}
