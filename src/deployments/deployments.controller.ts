import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import type { Principal } from '../auth/principal';
import { ApiIdempotencyKey, parseIdempotencyKey } from '../common/idempotency';
import { Page, page } from '../common/paging';
import { DeploymentsService } from './deployments.service';
import {
  CreateDeploymentDto,
  DeploymentDto,
  DeploymentQueryDto,
  DeploymentSummaryDto,
  DeploymentSummaryPageDto,
  UpdateDeploymentDto,
} from './dto/deployment.dto';

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('deployments')
export class DeploymentsController {
  constructor(private readonly deployments: DeploymentsService) {}

  @Get()
  @ApiOperation({
    summary:
      'List the deployments you can see (filter by name, paging, newest first); programs as summaries without their texts',
  })
  @ApiOkResponse({ type: DeploymentSummaryPageDto })
  async list(@CurrentUser() user: Principal, @Query() q: DeploymentQueryDto): Promise<Page<DeploymentSummaryDto>> {
    const [items, total] = await this.deployments.list(user, q);
    return page(
      items.map((d) => DeploymentSummaryDto.from(d)),
      total,
      q,
    );
  }

  @Post()
  @ApiOperation({
    summary:
      'Create a deployment; every program is parsed in its language (QASM2, QASM3, QUIL, QISKIT, BRAKET, IONQ), a bad one answers 422 with its line and column',
  })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: DeploymentDto })
  async create(
    @CurrentUser() user: Principal,
    @Body() dto: CreateDeploymentDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<DeploymentDto> {
    return DeploymentDto.from(await this.deployments.create(user, dto, parseIdempotencyKey(idempotencyKey)));
  }

  @Get(':id')
  @ApiOperation({ summary: 'A deployment with its revision and the full texts of its current programs' })
  @ApiOkResponse({ type: DeploymentDto })
  async get(@CurrentUser() user: Principal, @Param('id') id: string): Promise<DeploymentDto> {
    return DeploymentDto.from(await this.deployments.get(user, id));
  }

  @Put(':id')
  @ApiOperation({
    summary: 'Replace name and programs (a public deployment: admins only, 403 for others)',
  })
  @ApiOkResponse({ type: DeploymentDto })
  async update(
    @CurrentUser() user: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateDeploymentDto,
  ): Promise<DeploymentDto> {
    return DeploymentDto.from(await this.deployments.update(user, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete a deployment; its jobs stay, with deployment null, and run and keep the results of their programs (a public deployment: admins only, 403 for others)',
  })
  async delete(@CurrentUser() user: Principal, @Param('id') id: string): Promise<void> {
    await this.deployments.delete(user, id);
  }
}
