import { EntityManager, raw } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { assertCanChange, ownerFilter, type Principal } from '../auth/principal';
import { NotFound } from '../common/errors';
import { Deployment } from './deployment.entity';
import type { CreateDeploymentDto, DeploymentQueryDto, ProgramInputDto } from './dto/deployment.dto';
import type { AssemblerLanguage } from './languages';
import { ProgramValidator } from './program-validator';
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

@Injectable()
export class DeploymentsService {
  constructor(
    private readonly em: EntityManager,
    private readonly validator: ProgramValidator,
  ) {}

  /**
   * A page of the deployments the user may see, each with summaries of its programs: the program
   * texts are not read from the database (their size comes from octet_length, which PostgreSQL
   * answers from the stored value's header without decompressing it).
   */
  async list(user: Principal, q: DeploymentQueryDto): Promise<[DeploymentSummary[], number]> {
    const where: Record<string, unknown> = { ...ownerFilter(user, 'deployedBy') };
    if (q.name) where.name = { $ilike: `%${q.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
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

  /** A deployment the user may see, with its programs, or 404 (also for one they may not see, so that ids do not leak). */
  async get(user: Principal, id: string, em: EntityManager = this.em): Promise<Deployment> {
    const deployment = isUuid(id)
      ? await em.findOne(Deployment, { id, ...ownerFilter(user, 'deployedBy') }, { populate: ['programs'] })
      : null;
    if (!deployment) throw new NotFound('deployment', id);
    return deployment;
  }

  async create(user: Principal, dto: CreateDeploymentDto): Promise<Deployment> {
    await this.validator.validate(dto.programs, user);
    const deployment = this.em.create(Deployment, { name: dto.name, deployedBy: user.userId, deployedAt: new Date() });
    this.addPrograms(deployment, dto.programs);
    await this.em.flush();
    return deployment;
  }

  /** Replaces name and programs. Jobs keep their results; results of removed programs lose the link. */
  async update(user: Principal, id: string, dto: CreateDeploymentDto): Promise<Deployment> {
    const deployment = await this.get(user, id);
    assertCanChange(user, deployment.deployedBy, 'deployment', id, 'replace');
    await this.validator.validate(dto.programs, user);
    deployment.name = dto.name;
    deployment.programs.removeAll();
    this.addPrograms(deployment, dto.programs);
    await this.em.flush();
    return deployment;
  }

  async delete(user: Principal, id: string): Promise<void> {
    const deployment = await this.get(user, id);
    assertCanChange(user, deployment.deployedBy, 'deployment', id, 'delete');
    await this.em.remove(deployment).flush();
  }

  private addPrograms(deployment: Deployment, programs: ProgramInputDto[]): void {
    programs.forEach((p, position) => {
      deployment.programs.add(
        this.em.create(QuantumProgram, {
          deployment,
          position,
          quantumCircuit: p.quantumCircuit,
          assemblerLanguage: p.assemblerLanguage,
        }),
      );
    });
  }
}
