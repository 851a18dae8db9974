import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { ownerFilter, type Principal } from '../auth/principal';
import { NotFound } from '../common/errors';
import { Deployment } from './deployment.entity';
import type { CreateDeploymentDto, DeploymentQueryDto, ProgramInputDto } from './dto/deployment.dto';
import { ProgramValidator } from './program-validator';
import { QuantumProgram } from './quantum-program.entity';
import { isUuid } from '../common/uuid';

@Injectable()
export class DeploymentsService {
  constructor(
    private readonly em: EntityManager,
    private readonly validator: ProgramValidator,
  ) {}

  async list(user: Principal, q: DeploymentQueryDto): Promise<[Deployment[], number]> {
    const where: Record<string, unknown> = { ...ownerFilter(user, 'deployedBy') };
    if (q.name) where.name = { $ilike: `%${q.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
    return this.em.findAndCount(Deployment, where, {
      populate: ['programs'],
      orderBy: { deployedAt: 'desc', id: 'desc' },
      limit: q.limit,
      offset: q.offset,
    });
  }

  /** A deployment the user may see, or 404 (also for one they may not see, so that ids do not leak). */
  /** 404 unless the user may see the deployment; reads only its id (not its programs). */
  async assertVisible(user: Principal, id: string): Promise<void> {
    const visible = isUuid(id) && (await this.em.count(Deployment, { id, ...ownerFilter(user, 'deployedBy') })) > 0;
    if (!visible) throw new NotFound('deployment', id);
  }

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
    await this.validator.validate(dto.programs, user);
    const deployment = await this.get(user, id);
    deployment.name = dto.name;
    deployment.programs.removeAll();
    this.addPrograms(deployment, dto.programs);
    await this.em.flush();
    return deployment;
  }

  async delete(user: Principal, id: string): Promise<void> {
    const deployment = await this.get(user, id);
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
